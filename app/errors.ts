import { z } from 'zod';

/**
 * The one error registry. Every failure the user can see has a code here, a
 * text that names the problem, whether retrying can help, the exit code the
 * command line uses for it (see the command-line contract), and the schema
 * of the data it carries (`details`): what a program needs to act on the
 * error, so that nothing has to be read back out of a message's text.
 *
 * Messages and details never contain secrets, passphrases or plaintext.
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 64,
  badInput: 65,
  notFound: 66,
  unavailable: 69,
  tempFail: 75,
} as const;

interface ErrorSpec {
  text: string;
  retryable: boolean;
  exit: number;
  details: z.ZodType<object>;
}

/** A v4 (40 hex digits) or v6 (64) fingerprint, upper case (RFC 9580, section 5.5.4). */
const Fingerprint = z.string().regex(/^(?:[0-9A-F]{40}|[0-9A-F]{64})$/);
const Email = z.string().min(1).max(320);
const Path = z.string().min(1).max(4096);
const Pid = z.number().int().positive();
const RowId = z.number().int().nonnegative();
/** Node's (or a library's) error code: ENOENT, ECONNREFUSED, CERT_HAS_EXPIRED, ETIMEOUT. */
const Errno = z.string().regex(/^[A-Za-z0-9_]{1,64}$/);

/** An IMAP response code, the atom in brackets after NO/BAD/BYE (RFC 9051 section 7.1, RFC 5530): AUTHENTICATIONFAILED, TRYCREATE. */
const ImapResponseCode = z.string().regex(/^[A-Z][A-Z0-9.-]{0,39}$/);
/** An SMTP enhanced status code class.subject.detail (RFC 3463, section 2): 5.7.8, 4.2.2. */
const EnhancedStatus = z.string().regex(/^[245]\.\d{1,3}\.\d{1,3}$/);

/**
 * What a network failure carries: the server, the transport's error code
 * when the socket, DNS or TLS failed, and what the server answered when it
 * did answer (its IMAP status and response code, or its SMTP reply).
 */
const Network = z.strictObject({
  protocol: z.enum(['IMAP', 'SMTP']).optional(),
  host: z.string().min(1).max(255).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  errno: Errno.optional(),
  imap: z.strictObject({ status: z.enum(['NO', 'BAD', 'BYE']).optional(), responseCode: ImapResponseCode.optional() }).optional(),
  smtp: z
    .strictObject({
      /** The reply code (RFC 5321, section 4.2). */
      reply: z.number().int().min(200).max(599),
      enhanced: EnhancedStatus.optional(),
      /** The reply's text, one line, shortened, without control characters. */
      response: z.string().max(512).optional(),
      /** The verb the server answered (MAIL, RCPT, DATA, AUTH, STARTTLS). */
      command: z
        .string()
        .regex(/^[A-Z]{1,16}$/)
        .optional(),
    })
    .optional(),
});
export type NetworkDetails = z.output<typeof Network>;

/** The details of a code that carries none. */
const None = z.strictObject({});

export const ERRORS = {
  usage: { text: 'Invalid usage', retryable: false, exit: EXIT.usage, details: None },
  'bad-input': { text: 'The input is not valid', retryable: false, exit: EXIT.badInput, details: None },
  'file-not-found': { text: 'File not found', retryable: false, exit: EXIT.notFound, details: z.strictObject({ path: Path }) },
  io: {
    text: 'A file could not be read or written',
    retryable: false,
    exit: EXIT.failure,
    details: z.strictObject({ path: Path.optional(), errno: Errno.optional() }),
  },
  'dialog-unavailable': { text: 'There is no save dialog here to save the file with', retryable: false, exit: EXIT.failure, details: None },
  internal: { text: 'Internal error', retryable: false, exit: EXIT.failure, details: None },
  'protocol-invalid': { text: 'A request did not match the contract', retryable: false, exit: EXIT.failure, details: None },

  'key-unparseable': { text: 'Not an OpenPGP key', retryable: false, exit: EXIT.badInput, details: None },
  'key-bad-self-signature': {
    text: 'The key has no valid self-signature',
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({ fingerprint: Fingerprint.optional() }),
  },
  'key-unsupported': { text: 'The key uses a format this version cannot read', retryable: false, exit: EXIT.badInput, details: None },
  'key-not-found': {
    text: 'No such key in the keyring',
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({ query: z.string().max(1000) }),
  },
  'key-ambiguous': {
    text: 'More than one key matches',
    retryable: false,
    exit: EXIT.usage,
    details: z.strictObject({ query: z.string().max(1000), fingerprints: z.array(Fingerprint).min(2).max(100) }),
  },
  'key-no-secret': {
    text: 'The secret key is not available',
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({ fingerprint: Fingerprint.optional(), address: Email.optional() }),
  },
  'key-secret-exists': {
    text: 'The key has a secret part; delete it with --secret',
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({ fingerprint: Fingerprint }),
  },
  'key-wrong-passphrase': {
    text: 'Wrong passphrase',
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({ fingerprint: Fingerprint.optional() }),
  },
  'key-passphrase-required': {
    text: 'A passphrase is needed to unlock the secret key',
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({ fingerprints: z.array(Fingerprint).max(100) }),
  },
  'key-unusable-recipient': {
    text: 'A recipient key cannot be used for encryption',
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({ fingerprint: Fingerprint, reason: z.enum(['revoked', 'expired', 'no-encryption-subkey']) }),
  },
  'key-cannot-sign': {
    text: 'The key cannot make signatures',
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({ fingerprint: Fingerprint }),
  },
  'setup-message-invalid': {
    text: 'Not an Autocrypt Setup Message that can be imported',
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({
      /**
       * Autocrypt Level 1, section 4.4: `no-payload`, no armored OpenPGP message in it; `not-marked`, a mail
       * without the `Autocrypt-Setup-Message` header; `other-version`, a version other than v1; `not-to-self`,
       * a mail whose From is not its To (4.4.3); `too-large`, far larger than any secret key.
       */
      reason: z.enum(['no-payload', 'not-marked', 'other-version', 'not-to-self', 'too-large']),
    }),
  },
  'key-not-revocation': { text: 'Not a revocation certificate for a known key', retryable: false, exit: EXIT.badInput, details: None },
  'key-changed': {
    text: "A recipient's key changed",
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({
      address: z.string().max(320),
      /** The key in use so far, or null when several came without one accepted. */
      known: Fingerprint.nullable(),
      new: Fingerprint,
      knownVerified: z.boolean(),
      /** What says the owner made the change: the new key certified by the earlier one, or the earlier one revoked as superseded. */
      successor: z.enum(['certified', 'superseded']).nullable().default(null),
    }),
  },
  'compose-no-key': {
    text: 'No usable key to encrypt to',
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({ addresses: z.array(Email).min(1).max(1000) }),
  },

  'keyring-busy': {
    text: 'The keyring is in use by another process',
    retryable: true,
    exit: EXIT.tempFail,
    details: z.strictObject({ pid: Pid.optional() }),
  },
  'keyring-corrupt': { text: 'The keyring files are damaged', retryable: false, exit: EXIT.failure, details: None },
  'keyring-unavailable': { text: 'The keyring service is not running', retryable: true, exit: EXIT.unavailable, details: None },

  'crypto-malformed': { text: 'The OpenPGP data is malformed', retryable: false, exit: EXIT.badInput, details: None },
  'crypto-no-key': { text: 'No key to decrypt this message', retryable: false, exit: EXIT.badInput, details: None },
  'crypto-no-integrity': {
    text: 'The encrypted data has no integrity protection; refused',
    retryable: false,
    exit: EXIT.badInput,
    details: None,
  },
  'crypto-integrity-failed': { text: 'The encrypted data was modified; refused', retryable: false, exit: EXIT.badInput, details: None },
  'crypto-too-large': { text: 'The decompressed data exceeds the size limit', retryable: false, exit: EXIT.badInput, details: None },
  'crypto-bad-signature': { text: 'No valid signature', retryable: false, exit: EXIT.badInput, details: None },
  'crypto-wrong-password': { text: 'Wrong password for the encrypted data', retryable: false, exit: EXIT.badInput, details: None },

  'network-unavailable': { text: 'The server could not be reached', retryable: true, exit: EXIT.unavailable, details: Network },
  'network-timeout': { text: 'The server did not answer in time', retryable: true, exit: EXIT.unavailable, details: Network },
  'network-tls': { text: "The server's TLS certificate was refused", retryable: false, exit: EXIT.unavailable, details: Network },
  'network-bad-response': { text: "The server's answer cannot be used", retryable: false, exit: EXIT.unavailable, details: Network },
  'network-auth-failed': { text: 'The server refused the user name or password', retryable: false, exit: EXIT.badInput, details: Network },
  'network-starttls-unavailable': {
    text: 'The server does not offer STARTTLS, which this account requires',
    retryable: false,
    exit: EXIT.unavailable,
    details: Network,
  },
  'network-temporary': {
    text: 'The server reported a temporary failure; try again later',
    retryable: true,
    exit: EXIT.tempFail,
    details: Network,
  },
  'network-rejected': { text: 'The server refused the message', retryable: false, exit: EXIT.unavailable, details: Network },

  'store-newer-schema': {
    text: 'The mail store was written by a newer version of Sealpost',
    retryable: false,
    exit: EXIT.failure,
    details: z.strictObject({ version: z.number().int().positive(), supported: z.number().int().positive() }),
  },
  'store-corrupt': { text: 'The mail store is damaged', retryable: false, exit: EXIT.failure, details: None },
  'store-busy': { text: 'The mail store is in use by another process', retryable: true, exit: EXIT.tempFail, details: None },
  'outbox-wrong-state': {
    text: 'The outbox message is not in a state that allows this',
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({ id: RowId, state: z.string().max(32), expected: z.array(z.string().max(32)).min(1).max(10) }),
  },
  'outbox-not-found': {
    text: 'No such message in the outbox',
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({ id: RowId }),
  },

  'secret-store-locked': { text: 'Wrong passphrase for the password store', retryable: false, exit: EXIT.badInput, details: None },
  'secret-store-corrupt': { text: 'The password store file is damaged', retryable: false, exit: EXIT.failure, details: None },
  'secret-store-unavailable': {
    text: "The system's secret service is not available",
    retryable: false,
    exit: EXIT.unavailable,
    details: None,
  },
  'secret-store-busy': {
    text: 'The password store is in use by another process',
    retryable: true,
    exit: EXIT.tempFail,
    details: z.strictObject({ pid: Pid.optional() }),
  },

  'account-invalid-email': { text: 'Not a valid email address', retryable: false, exit: EXIT.badInput, details: None },
  'account-invalid-server': { text: 'The server address is not valid', retryable: false, exit: EXIT.badInput, details: None },
  'account-invalid-ca': { text: 'Not a usable CA certificate', retryable: false, exit: EXIT.badInput, details: None },
  'account-exists': {
    text: 'An account with this address already exists',
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({ email: Email }),
  },
  'account-not-found': {
    text: 'No such account',
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({ account: z.string().max(320).optional() }),
  },
  'account-password-command-failed': {
    text: "The account's password command failed",
    retryable: false,
    exit: EXIT.failure,
    details: z.strictObject({
      exitCode: z.number().int().nullable(),
      signal: z.string().max(32).nullable(),
      timedOut: z.boolean(),
      /** The system's error code when the command could not be started at all. */
      spawnError: z.string().max(64).nullable(),
    }),
  },
  'account-has-unsent': {
    text: 'The account has mail that was not sent or saved yet',
    retryable: false,
    exit: EXIT.badInput,
    details: z.strictObject({ outbox: z.number().int().nonnegative(), drafts: z.number().int().nonnegative() }),
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;
export const ERROR_CODES = Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]];
/** A registry code as a schema, for the places that carry a code without a whole error (import problems). */
export const ErrorCodeSchema = z.enum(ERROR_CODES);

/** The data an error of code `C` carries. */
export type ErrorDetails<C extends ErrorCode = ErrorCode> = z.output<(typeof ERRORS)[C]['details']>;

/**
 * The details argument for code `C`: required when the code's schema has a
 * required field, optional when it has none. For a code only known as the
 * whole union (an error passed on), it is optional and checked at run time.
 */
type DetailsArgs<C extends ErrorCode> =
  Record<string, never> extends ErrorDetails<C> ? [details?: ErrorDetails<C>] : [details: ErrorDetails<C>];

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

export function exitCodeFor(code: ErrorCode): number {
  return ERRORS[code].exit;
}

/**
 * The details of an `io` error: the file and the system's error code
 * (ENOSPC, EACCES) when the failure has one.
 */
export function ioDetails(path: string | null, error?: unknown): ErrorDetails<'io'> {
  const code = error && typeof error === 'object' ? (error as { code?: unknown }).code : undefined;
  return {
    ...(path ? { path: path.slice(0, 4096) } : {}),
    ...(typeof code === 'string' && Errno.safeParse(code).success ? { errno: code } : {}),
  };
}

/**
 * An error as it crosses a process boundary: a value, never a thrown object.
 * Narrowing on `code` gives that code's `details`.
 */
export type AppError<C extends ErrorCode = ErrorCode> = {
  [K in C]: { code: K; message: string; retryable: boolean; details: ErrorDetails<K> };
}[C];

const AppErrorFields = z.strictObject({
  code: z.string().max(64),
  message: z.string().max(8192),
  retryable: z.boolean(),
  details: z.unknown(),
});

/**
 * The schema of an `AppError` on the wire (IPC results, the keyring
 * protocol): a registry code, and details that match that code's schema.
 */
export const AppErrorSchema: z.ZodType<AppError, unknown> = z.unknown().transform((value, ctx): AppError => {
  const fields = AppErrorFields.safeParse(value);
  if (!fields.success) {
    for (const issue of fields.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  }
  const { code, message, retryable } = fields.data;
  if (!isErrorCode(code)) {
    ctx.addIssue({ code: 'custom', message: 'not a registry code', path: ['code'] });
    return z.NEVER;
  }
  const details = ERRORS[code].details.safeParse(fields.data.details);
  if (!details.success) {
    for (const issue of details.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: ['details', ...issue.path] });
    return z.NEVER;
  }
  return { code, message, retryable, details: details.data } as AppError;
});

/**
 * Thrown inside a process; turned into an `AppError` value before it crosses
 * a boundary. `detail` is shown after the registry text ("Wrong passphrase:
 * for key 0123…"): it must name the problem and never carry secrets; it is
 * for people. `details` is for programs: typed by the code, checked against
 * the code's schema here, so an error can never hold details of the wrong shape.
 */
/**
 * `instanceof SealpostError` narrows to `SealpostError<any>`, which lets a
 * code's details escape their type; this guard narrows to the union instead.
 */
export function isSealpostError(error: unknown): error is SealpostError {
  return error instanceof SealpostError;
}

export class SealpostError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  readonly detail: string | undefined;
  readonly details: ErrorDetails<C>;
  constructor(code: C, detail?: string, ...details: DetailsArgs<C>) {
    super(detail ? `${ERRORS[code].text}: ${detail}` : ERRORS[code].text);
    this.name = 'SealpostError';
    this.code = code;
    this.detail = detail;
    const checked = ERRORS[code].details.safeParse(details[0] ?? {});
    // A throw site that builds details of the wrong shape is a bug in Sealpost, not in the input.
    if (!checked.success) throw new TypeError(`details of ${code} do not match the registry: ${z.prettifyError(checked.error)}`);
    this.details = checked.data as ErrorDetails<C>;
  }
  get retryable(): boolean {
    return ERRORS[this.code].retryable;
  }
  /** This error, narrowed to one code (and so to its details). */
  is<K extends ErrorCode>(code: K): this is SealpostError<K> {
    const own: ErrorCode = this.code;
    return own === code;
  }
  toAppError(): AppError<C> {
    return { code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
  /** An error received as a value (already checked against `AppErrorSchema`), thrown again on this side. */
  static from<K extends ErrorCode>(error: Pick<AppError<K>, 'code' | 'message' | 'details'>): SealpostError<K> {
    const e = new SealpostError<ErrorCode>(error.code, undefined, error.details) as SealpostError<K>;
    e.message = error.message;
    return e;
  }
}
