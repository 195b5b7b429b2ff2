/**
 * The one error registry. Every failure the user can see has a code here, a
 * text that names the problem, whether retrying can help, and the exit code
 * the command line uses for it (see the command-line contract).
 *
 * Messages never contain secrets, passphrases or plaintext.
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
}

export const ERRORS = {
  usage: { text: 'Invalid usage', retryable: false, exit: EXIT.usage },
  'bad-input': { text: 'The input is not valid', retryable: false, exit: EXIT.badInput },
  'file-not-found': { text: 'File not found', retryable: false, exit: EXIT.notFound },
  io: { text: 'A file could not be read or written', retryable: false, exit: EXIT.failure },
  'dialog-unavailable': { text: 'There is no save dialog here to save the file with', retryable: false, exit: EXIT.failure },
  internal: { text: 'Internal error', retryable: false, exit: EXIT.failure },
  'protocol-invalid': { text: 'A request did not match the contract', retryable: false, exit: EXIT.failure },

  'key-unparseable': { text: 'Not an OpenPGP key', retryable: false, exit: EXIT.badInput },
  'key-bad-self-signature': { text: 'The key has no valid self-signature', retryable: false, exit: EXIT.badInput },
  'key-unsupported': { text: 'The key uses a format this version cannot read', retryable: false, exit: EXIT.badInput },
  'key-not-found': { text: 'No such key in the keyring', retryable: false, exit: EXIT.badInput },
  'key-ambiguous': { text: 'More than one key matches', retryable: false, exit: EXIT.usage },
  'key-no-secret': { text: 'The secret key is not available', retryable: false, exit: EXIT.badInput },
  'key-secret-exists': { text: 'The key has a secret part; delete it with --secret', retryable: false, exit: EXIT.badInput },
  'key-wrong-passphrase': { text: 'Wrong passphrase', retryable: false, exit: EXIT.badInput },
  'key-passphrase-required': { text: 'A passphrase is needed to unlock the secret key', retryable: false, exit: EXIT.badInput },
  'key-unusable-recipient': { text: 'A recipient key cannot be used for encryption', retryable: false, exit: EXIT.badInput },
  'key-cannot-sign': { text: 'The key cannot make signatures', retryable: false, exit: EXIT.badInput },
  'key-not-revocation': { text: 'Not a revocation certificate for a known key', retryable: false, exit: EXIT.badInput },
  'compose-no-key': { text: 'No usable key to encrypt to', retryable: false, exit: EXIT.badInput },

  'keyring-busy': { text: 'The keyring is in use by another process', retryable: true, exit: EXIT.tempFail },
  'keyring-corrupt': { text: 'The keyring files are damaged', retryable: false, exit: EXIT.failure },
  'keyring-unavailable': { text: 'The keyring service is not running', retryable: true, exit: EXIT.unavailable },

  'crypto-malformed': { text: 'The OpenPGP data is malformed', retryable: false, exit: EXIT.badInput },
  'crypto-no-key': { text: 'No key to decrypt this message', retryable: false, exit: EXIT.badInput },
  'crypto-no-integrity': { text: 'The encrypted data has no integrity protection; refused', retryable: false, exit: EXIT.badInput },
  'crypto-integrity-failed': { text: 'The encrypted data was modified; refused', retryable: false, exit: EXIT.badInput },
  'crypto-too-large': { text: 'The decompressed data exceeds the size limit', retryable: false, exit: EXIT.badInput },
  'crypto-bad-signature': { text: 'No valid signature', retryable: false, exit: EXIT.badInput },
  'crypto-wrong-password': { text: 'Wrong password for the encrypted data', retryable: false, exit: EXIT.badInput },

  'network-unavailable': { text: 'The server could not be reached', retryable: true, exit: EXIT.unavailable },
  'network-timeout': { text: 'The server did not answer in time', retryable: true, exit: EXIT.unavailable },
  'network-tls': { text: "The server's TLS certificate was refused", retryable: false, exit: EXIT.unavailable },
  'network-bad-response': { text: "The server's answer cannot be used", retryable: false, exit: EXIT.unavailable },
  'network-auth-failed': { text: 'The server refused the user name or password', retryable: false, exit: EXIT.badInput },
  'network-starttls-unavailable': {
    text: 'The server does not offer STARTTLS, which this account requires',
    retryable: false,
    exit: EXIT.unavailable,
  },
  'network-temporary': { text: 'The server reported a temporary failure; try again later', retryable: true, exit: EXIT.tempFail },
  'network-rejected': { text: 'The server refused the message', retryable: false, exit: EXIT.unavailable },

  'store-newer-schema': { text: 'The mail store was written by a newer version of Sealpost', retryable: false, exit: EXIT.failure },
  'store-corrupt': { text: 'The mail store is damaged', retryable: false, exit: EXIT.failure },
  'store-busy': { text: 'The mail store is in use by another process', retryable: true, exit: EXIT.tempFail },
  'outbox-wrong-state': { text: 'The outbox message is not in a state that allows this', retryable: false, exit: EXIT.badInput },
  'outbox-not-found': { text: 'No such message in the outbox', retryable: false, exit: EXIT.badInput },

  'secret-store-locked': { text: 'Wrong passphrase for the password store', retryable: false, exit: EXIT.badInput },
  'secret-store-corrupt': { text: 'The password store file is damaged', retryable: false, exit: EXIT.failure },
  'secret-store-unavailable': { text: "The system's secret service is not available", retryable: false, exit: EXIT.unavailable },
  'secret-store-busy': { text: 'The password store is in use by another process', retryable: true, exit: EXIT.tempFail },

  'account-invalid-email': { text: 'Not a valid email address', retryable: false, exit: EXIT.badInput },
  'account-invalid-server': { text: 'The server address is not valid', retryable: false, exit: EXIT.badInput },
  'account-invalid-ca': { text: 'Not a usable CA certificate', retryable: false, exit: EXIT.badInput },
  'account-exists': { text: 'An account with this address already exists', retryable: false, exit: EXIT.badInput },
  'account-not-found': { text: 'No such account', retryable: false, exit: EXIT.badInput },
  'account-has-unsent': { text: 'The account has mail that was not sent or saved yet', retryable: false, exit: EXIT.badInput },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERRORS, code);
}

export function exitCodeFor(code: ErrorCode): number {
  return ERRORS[code].exit;
}

/**
 * Thrown inside a process; turned into an `AppError` value before it crosses
 * a boundary. `detail` is shown after the registry text ("Wrong passphrase:
 * for key 0123…"): it must name the problem and never carry secrets.
 */
export class SealpostError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  constructor(code: ErrorCode, detail?: string) {
    super(detail ? `${ERRORS[code].text}: ${detail}` : ERRORS[code].text);
    this.name = 'SealpostError';
    this.code = code;
    this.detail = detail;
  }
  get retryable(): boolean {
    return ERRORS[this.code].retryable;
  }
  toAppError(): { code: ErrorCode; message: string; retryable: boolean } {
    return { code: this.code, message: this.message, retryable: this.retryable };
  }
  static from(error: { code: ErrorCode; message: string }): SealpostError {
    const e = new SealpostError(error.code);
    e.message = error.message;
    return e;
  }
}
