// First: zod must be told not to generate code before app/errors.ts makes its schemas.
import './schema-config.ts';
import { AppErrorSchema, type AppError, type ErrorCode, type ErrorDetails } from '../../../app/errors.ts';
import type { ProcedureInput, ProcedureName, ProcedureOutput, SealpostBridge } from '../../../app/ipc/contract.ts';

/** A registry code with that code's details: narrowing on `code` gives the details. */
type CodedError = { [C in ErrorCode]: { code: C; details: ErrorDetails<C> } }[ErrorCode];

/**
 * An error as the screens show it: one sentence that says what to do
 * (`summary`), and the registry's text with its code for the curious and for
 * bug reports (`detail`, shown inside a <details> element). An error from
 * main keeps its registry code and details; `no-answer` (main did not
 * answer) and `local` (a form the user has to fix) are made here and carry none.
 */
export type UiError = {
  /** What to do about it. */
  summary: string;
  /** The registry's text as main sent it. */
  message: string;
  detail: string;
  retryable: boolean;
} & (CodedError | { code: 'no-answer' | 'local'; details: null });

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: UiError };

/** What the user can do about an error, by registry code; the registry's own text is the detail. */
const ADVICE: Partial<Record<ErrorCode, string>> = {
  'network-auth-failed': 'The server refused the user name or password. Check them; some providers need an app password for mail programs.',
  'network-tls':
    "The server's certificate was refused. If the server uses its own certificate authority, paste that CA certificate under Server settings.",
  'network-unavailable': 'The server could not be reached. Check the server address and your connection.',
  'network-timeout': 'The server did not answer in time. Try again, or check the server address.',
  'network-starttls-unavailable':
    'The server does not offer an encrypted connection (STARTTLS) on this port; Sealpost does not send passwords in the clear.',
  'network-temporary': 'The server reported a temporary problem. Try again later.',
  'network-rejected': 'The server refused the message.',
  'network-bad-response': 'The server answered with something Sealpost cannot use.',
  'account-exists': 'This account is already set up.',
  'account-invalid-server': 'A server address is not valid: use imaps://host:993 or smtps://host:465 (or smtp://host:587 for STARTTLS).',
  'account-invalid-ca':
    'The CA certificate is not usable: paste the whole PEM text, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.',
  'account-has-unsent': 'The account still has mail that was not sent or saved.',
  'key-wrong-passphrase': 'Wrong passphrase. Try again.',
  'key-passphrase-required': 'This key needs its passphrase.',
  'key-unparseable': 'This is not an OpenPGP key.',
  'key-no-secret': 'The secret key is not in the keyring.',
  'keyring-unavailable': 'The keyring service is not running. Try again in a moment.',
  'keyring-busy': 'The keyring is busy. Try again in a moment.',
  'store-busy': 'The mail store is busy. Try again in a moment.',
  'compose-no-key': 'A recipient has no usable key, so the message cannot be encrypted.',
};

export function uiError(error: AppError): UiError {
  const summary = ADVICE[error.code] ?? `${error.message}.`.replace(/\.\.$/, '.');
  const coded = { code: error.code, details: error.details } as CodedError;
  return { ...coded, summary, message: error.message, detail: `${error.message} (${error.code})`, retryable: error.retryable };
}

/** What an error from main becomes when it does not match the registry (a code unknown here, details of the wrong shape). */
function unreadableError(): UiError {
  const message = 'The app answered with an error this window cannot read';
  return {
    code: 'protocol-invalid',
    details: {},
    summary: `${message}. Restart Sealpost if this keeps happening.`,
    message,
    detail: `${message} (protocol-invalid)`,
    retryable: false,
  };
}

export const NO_ANSWER: UiError = {
  code: 'no-answer',
  details: null,
  summary: 'The app did not answer. Restart Sealpost if this keeps happening.',
  message: 'The app did not answer. Restart Sealpost if this keeps happening.',
  detail: 'The call to the main process failed before it returned a result.',
  retryable: true,
};

/** A call through the bridge whose answer is always a value: a rejected call becomes an error too. */
export async function callBridge<P extends ProcedureName>(
  bridge: SealpostBridge,
  procedure: P,
  input: ProcedureInput<P>,
): Promise<Outcome<ProcedureOutput<P>>> {
  try {
    const result = await bridge.call(procedure, input);
    if (result.ok) return { ok: true, value: result.value };
    // The error is checked against the registry before a screen reads its code or details (main checks it too, on the way out).
    const error = AppErrorSchema.safeParse(result.error);
    return { ok: false, error: error.success ? uiError(error.data) : unreadableError() };
  } catch {
    return { ok: false, error: NO_ANSWER };
  }
}

/** An error made here (a form the user has to fix), in the same shape. */
export function localError(summary: string, detail = summary): UiError {
  return { code: 'local', details: null, summary, message: summary, detail, retryable: false };
}
