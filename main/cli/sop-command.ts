import { readFile, open } from 'node:fs/promises';
import { createWriteStream, readFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { type SealpostError, type ErrorCode } from '../../app/errors.ts';
import type { Verification } from '../../app/crypto.ts';
import type { KeyringClient } from '../../app/node/keyring-client.ts';
import { stdinStream, writeStream, writeStdout } from './io.ts';

/**
 * `sealpost sop`: the Stateless OpenPGP Command Line Interface
 * (draft-dkg-openpgp-stateless-cli-14), over the same keyring code as the
 * app. Keys and certificates come as files, never from a profile.
 */
export const SOP_SPEC = 'draft-dkg-openpgp-stateless-cli-14';

/** Exit codes, section "Failure Modes" of the draft. */
export const SOP_EXIT = {
  NO_SIGNATURE: 3,
  UNSUPPORTED_ASYMMETRIC_ALGO: 13,
  CERT_CANNOT_ENCRYPT: 17,
  MISSING_ARG: 19,
  INCOMPLETE_VERIFICATION: 23,
  CANNOT_DECRYPT: 29,
  PASSWORD_NOT_HUMAN_READABLE: 31,
  UNSUPPORTED_OPTION: 37,
  BAD_DATA: 41,
  EXPECTED_TEXT: 53,
  OUTPUT_EXISTS: 59,
  MISSING_INPUT: 61,
  KEY_IS_PROTECTED: 67,
  UNSUPPORTED_SUBCOMMAND: 69,
  UNSUPPORTED_SPECIAL_PREFIX: 71,
  AMBIGUOUS_INPUT: 73,
  KEY_CANNOT_SIGN: 79,
  INCOMPATIBLE_OPTIONS: 83,
  UNSUPPORTED_PROFILE: 89,
} as const;

export class SopError extends Error {
  readonly exit: number;
  constructor(exit: number, message: string) {
    super(message);
    this.exit = exit;
  }
}

const FROM_REGISTRY: Partial<Record<ErrorCode, number>> = {
  'key-wrong-passphrase': SOP_EXIT.KEY_IS_PROTECTED,
  'key-passphrase-required': SOP_EXIT.KEY_IS_PROTECTED,
  'key-unusable-recipient': SOP_EXIT.CERT_CANNOT_ENCRYPT,
  'key-cannot-sign': SOP_EXIT.KEY_CANNOT_SIGN,
  'key-unparseable': SOP_EXIT.BAD_DATA,
  'key-bad-self-signature': SOP_EXIT.BAD_DATA,
  'key-unsupported': SOP_EXIT.UNSUPPORTED_ASYMMETRIC_ALGO,
  'key-no-secret': SOP_EXIT.BAD_DATA,
  'bad-input': SOP_EXIT.BAD_DATA,
  'crypto-malformed': SOP_EXIT.BAD_DATA,
  'crypto-no-key': SOP_EXIT.CANNOT_DECRYPT,
  'crypto-no-integrity': SOP_EXIT.CANNOT_DECRYPT,
  'crypto-integrity-failed': SOP_EXIT.CANNOT_DECRYPT,
  'crypto-too-large': SOP_EXIT.BAD_DATA,
  'file-not-found': SOP_EXIT.MISSING_INPUT,
  usage: SOP_EXIT.MISSING_ARG,
};

export function sopExitFor(error: SealpostError): number {
  return FROM_REGISTRY[error.code] ?? 1;
}

type Options = NonNullable<ParseArgsConfig['options']>;

function parse<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new SopError(SOP_EXIT.UNSUPPORTED_OPTION, (e as Error).message.split('\n')[0]!);
  }
}

/** An input named on the command line: a file, or a special designator (@ENV:NAME, @FD:N). */
async function readInput(name: string): Promise<Buffer> {
  if (name.startsWith('@ENV:')) {
    const value = process.env[name.slice(5)];
    if (value === undefined) throw new SopError(SOP_EXIT.MISSING_INPUT, `environment variable ${name.slice(5)} is not set`);
    return Buffer.from(value, 'utf8');
  }
  if (name.startsWith('@FD:')) {
    const fd = Number(name.slice(4));
    if (!Number.isInteger(fd) || fd < 0) throw new SopError(SOP_EXIT.UNSUPPORTED_SPECIAL_PREFIX, name);
    return readFileSync(fd);
  }
  if (name.startsWith('@')) throw new SopError(SOP_EXIT.UNSUPPORTED_SPECIAL_PREFIX, `unsupported special designator ${name}`);
  try {
    return await readFile(name);
  } catch {
    throw new SopError(SOP_EXIT.MISSING_INPUT, `cannot read ${name}`);
  }
}

async function readPassword(name: string): Promise<string> {
  const bytes = await readInput(name);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SopError(SOP_EXIT.PASSWORD_NOT_HUMAN_READABLE, `the password in ${name} is not UTF-8`);
  }
  return text;
}

/** An output named on the command line must not exist yet (the draft's OUTPUT_EXISTS). */
async function writeOutput(name: string, data: Uint8Array | string): Promise<void> {
  if (name.startsWith('@FD:')) {
    const fd = Number(name.slice(4));
    if (!Number.isInteger(fd) || fd < 0) throw new SopError(SOP_EXIT.UNSUPPORTED_SPECIAL_PREFIX, name);
    await new Promise<void>((resolve, reject) => {
      const s = createWriteStream('', { fd, autoClose: false });
      s.end(data, () => resolve());
      s.on('error', reject);
    });
    return;
  }
  if (name.startsWith('@')) throw new SopError(SOP_EXIT.UNSUPPORTED_SPECIAL_PREFIX, `unsupported special designator ${name}`);
  let handle;
  try {
    handle = await open(name, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new SopError(SOP_EXIT.OUTPUT_EXISTS, `${name} already exists`);
    throw new SopError(1, `cannot write ${name}`);
  }
  try {
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}

async function checkOutputFree(name: string | undefined): Promise<void> {
  if (!name || name.startsWith('@')) return;
  try {
    await (await open(name, 'r')).close();
  } catch {
    return;
  }
  throw new SopError(SOP_EXIT.OUTPUT_EXISTS, `${name} already exists`);
}

function parseDate(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (text === '-') return fallback === Date.now() || fallback > 0 ? Infinity : -Infinity;
  if (text === 'now') return Date.now();
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new SopError(SOP_EXIT.BAD_DATA, `"${text}" is not a date`);
  return t;
}

/** VERIFICATIONS lines: "TIMESTAMP SIGNING-FPR PRIMARY-FPR mode:MODE DESCRIPTION" (draft section on VERIFICATIONS). */
function verificationLines(verifications: Verification[], notBefore: number, notAfter: number): string[] {
  const lines: string[] = [];
  for (const v of verifications) {
    if (v.status !== 'valid' || !v.created) continue;
    const when = Date.parse(v.created);
    if (when < notBefore || when > notAfter) continue;
    lines.push(
      `${v.created.replace(/\.\d{3}Z$/, 'Z')} ${v.signer.signingKeyFingerprint} ${v.signer.fingerprint} mode:${v.mode} ${v.signer.userIds[0] ?? ''}`.trimEnd(),
    );
  }
  return lines;
}

async function stdinBytes(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const PROFILES: Record<string, string[]> = {
  'generate-key': ['default: Ed25519 and Cv25519, v4 (readable by every current OpenPGP implementation)', 'rfc4880: RSA 4096, v4'],
  encrypt: ['default: SEIPDv1 with MDC, or SEIPDv2 when every recipient announces it'],
};

export async function sopCommand(keyring: KeyringClient, args: string[], version: string): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'version': {
      const { values } = parse(rest, { backend: { type: 'boolean' }, extended: { type: 'boolean' }, 'sop-spec': { type: 'boolean' } });
      if (values['sop-spec']) await writeStdout(`${SOP_SPEC}\n`);
      else if (values.backend) await writeStdout(`${(await keyring.call('keyring.info', {})).backend}\n`);
      else if (values.extended)
        await writeStdout(
          `sealpost ${version}\n${(await keyring.call('keyring.info', {})).backend}\nNode.js ${process.versions.node}\n${SOP_SPEC}\n`,
        );
      else await writeStdout(`sealpost ${version}\n`);
      return;
    }
    case 'list-profiles': {
      const { positionals } = parse(rest, {});
      const target = positionals[0];
      if (!target) throw new SopError(SOP_EXIT.MISSING_ARG, 'list-profiles needs a subcommand');
      const profiles = PROFILES[target];
      if (!profiles) throw new SopError(SOP_EXIT.UNSUPPORTED_PROFILE, `${target} has no profiles`);
      await writeStdout(profiles.join('\n') + '\n');
      return;
    }
    case 'generate-key': {
      const { values, positionals } = parse(rest, {
        armor: { type: 'boolean' },
        'no-armor': { type: 'boolean' },
        'with-key-password': { type: 'string' },
        profile: { type: 'string' },
        'signing-only': { type: 'boolean' },
      });
      if (values['signing-only']) throw new SopError(SOP_EXIT.UNSUPPORTED_OPTION, '--signing-only is not supported');
      const profile = values.profile ?? 'default';
      if (profile !== 'default' && profile !== 'rfc4880') throw new SopError(SOP_EXIT.UNSUPPORTED_PROFILE, `unknown profile ${profile}`);
      // Trailing whitespace (a file's newline) is not part of a new password (draft, "Human-Readable Password").
      const passphrase = values['with-key-password'] ? (await readPassword(values['with-key-password'])).trimEnd() : null;
      const { key } = await keyring.call('sop.generateKey', {
        userIds: positionals,
        algo: profile === 'rfc4880' ? 'rsa4096' : 'curve25519',
        passphrase,
        armor: !values['no-armor'],
      });
      await writeStdout(key);
      return;
    }
    case 'extract-cert': {
      const { values } = parse(rest, { armor: { type: 'boolean' }, 'no-armor': { type: 'boolean' } });
      const { cert } = await keyring.call('sop.extractCert', { key: await stdinBytes(), armor: !values['no-armor'] });
      await writeStdout(cert);
      return;
    }
    case 'sign': {
      const { values, positionals } = parse(rest, {
        armor: { type: 'boolean' },
        'no-armor': { type: 'boolean' },
        as: { type: 'string', default: 'binary' },
        'micalg-out': { type: 'string' },
        'with-key-password': { type: 'string', multiple: true },
      });
      if (positionals.length === 0) throw new SopError(SOP_EXIT.MISSING_ARG, 'sign needs at least one KEYS file');
      if (values.as !== 'binary' && values.as !== 'text') throw new SopError(SOP_EXIT.UNSUPPORTED_OPTION, `--as=${values.as}`);
      await checkOutputFree(values['micalg-out']);
      const material = await Promise.all(positionals.map(readInput));
      const keyPasswords = await Promise.all((values['with-key-password'] ?? []).map(readPassword));
      const input = values.as === 'text' ? await requireText(await stdinBytes()) : stdinStream();
      const call = keyring.stream(
        'crypto.sign',
        { mode: 'detached', signers: { refs: [], material }, keyPasswords, armor: !values['no-armor'], literal: values.as },
        input,
      );
      await writeStream(call.output, process.stdout).catch(() => {});
      const result = await call.result;
      if (values['micalg-out']) await writeOutput(values['micalg-out'], result.micalg);
      return;
    }
    case 'verify': {
      const { values, positionals } = parse(rest, { 'not-before': { type: 'string' }, 'not-after': { type: 'string' } });
      const [signatureFile, ...certFiles] = positionals;
      if (!signatureFile || certFiles.length === 0)
        throw new SopError(SOP_EXIT.MISSING_ARG, 'verify needs SIGNATURES and at least one CERTS file');
      const signature = await readInput(signatureFile);
      const material = await Promise.all(certFiles.map(readInput));
      const { result } = await keyring.collect('crypto.verify', { signature, verifyWith: { refs: [], material } }, stdinStream());
      const lines = verificationLines(
        result.verifications,
        parseDate(values['not-before'], -Infinity),
        parseDate(values['not-after'], Date.now()),
      );
      if (lines.length === 0) throw new SopError(SOP_EXIT.NO_SIGNATURE, 'no valid signature');
      await writeStdout(lines.join('\n') + '\n');
      return;
    }
    case 'encrypt': {
      const { values, positionals } = parse(rest, {
        armor: { type: 'boolean' },
        'no-armor': { type: 'boolean' },
        as: { type: 'string', default: 'binary' },
        'with-password': { type: 'string', multiple: true },
        'with-key-password': { type: 'string', multiple: true },
        'sign-with': { type: 'string', multiple: true },
        profile: { type: 'string' },
        'session-key-out': { type: 'string' },
      });
      if (values.as !== 'binary' && values.as !== 'text') throw new SopError(SOP_EXIT.UNSUPPORTED_OPTION, `--as=${values.as}`);
      if (values['session-key-out']) throw new SopError(SOP_EXIT.UNSUPPORTED_OPTION, '--session-key-out is not supported by encrypt');
      if (values.profile && values.profile !== 'default')
        throw new SopError(SOP_EXIT.UNSUPPORTED_PROFILE, `unknown profile ${values.profile}`);
      const passwords = (await Promise.all((values['with-password'] ?? []).map(readPassword))).map((p) => p.trimEnd());
      if (positionals.length === 0 && passwords.length === 0)
        throw new SopError(SOP_EXIT.MISSING_ARG, 'encrypt needs CERTS or --with-password');
      const recipients = await Promise.all(positionals.map(readInput));
      const signers = await Promise.all((values['sign-with'] ?? []).map(readInput));
      const keyPasswords = await Promise.all((values['with-key-password'] ?? []).map(readPassword));
      const input = values.as === 'text' && signers.length > 0 ? await requireText(await stdinBytes()) : stdinStream();
      const call = keyring.stream(
        'crypto.encrypt',
        {
          recipients: { refs: [], material: recipients },
          signers: { refs: [], material: signers },
          keyPasswords,
          passwords,
          armor: !values['no-armor'],
          literal: values.as,
        },
        input,
      );
      await writeStream(call.output, process.stdout).catch(() => {});
      await call.result;
      return;
    }
    case 'decrypt': {
      const { values, positionals } = parse(rest, {
        'session-key-out': { type: 'string' },
        'with-session-key': { type: 'string', multiple: true },
        'with-password': { type: 'string', multiple: true },
        'with-key-password': { type: 'string', multiple: true },
        'verifications-out': { type: 'string' },
        'verify-out': { type: 'string' },
        'verify-with': { type: 'string', multiple: true },
        'verify-not-before': { type: 'string' },
        'verify-not-after': { type: 'string' },
      });
      const verificationsOut = values['verifications-out'] ?? values['verify-out'];
      const verifyWith = values['verify-with'] ?? [];
      if (verificationsOut && verifyWith.length === 0)
        throw new SopError(SOP_EXIT.INCOMPLETE_VERIFICATION, '--verifications-out needs --verify-with');
      await checkOutputFree(verificationsOut);
      await checkOutputFree(values['session-key-out']);
      const keys = await Promise.all(positionals.map(readInput));
      const passwords = await Promise.all((values['with-password'] ?? []).map(readPassword));
      const sessionKeys = (await Promise.all((values['with-session-key'] ?? []).map(readInput))).map((b) => b.toString('utf8').trim());
      if (keys.length === 0 && passwords.length === 0 && sessionKeys.length === 0) {
        throw new SopError(SOP_EXIT.MISSING_ARG, 'decrypt needs KEY files, --with-password or --with-session-key');
      }
      const keyPasswords = await Promise.all((values['with-key-password'] ?? []).map(readPassword));
      const certs = await Promise.all(verifyWith.map(readInput));
      const call = keyring.stream(
        'crypto.decrypt',
        {
          keys: { refs: [], material: keys },
          keyPasswords,
          passwords: [...passwords, ...passwords.map((p) => p.trimEnd()).filter((p, i) => p !== passwords[i])],
          sessionKeys,
          verifyWith: { refs: [], material: certs },
          wantSessionKey: Boolean(values['session-key-out']),
        },
        stdinStream(),
      );
      await writeStream(call.output, process.stdout).catch(() => {});
      const result = await call.result;
      switch (result.status) {
        case 'decrypted':
          break;
        case 'needs-passphrase':
          throw new SopError(SOP_EXIT.KEY_IS_PROTECTED, `the key ${result.keys.join(', ')} is locked: give --with-key-password`);
        case 'no-key':
          throw new SopError(SOP_EXIT.CANNOT_DECRYPT, 'no key or password fits this message');
        case 'failed-integrity':
          throw new SopError(
            SOP_EXIT.CANNOT_DECRYPT,
            result.reason === 'no-integrity' ? 'refused: the data has no integrity protection' : 'refused: the data was modified',
          );
        case 'too-large':
          throw new SopError(SOP_EXIT.BAD_DATA, `decrypted data larger than ${result.limit} bytes`);
        case 'malformed':
          throw new SopError(SOP_EXIT.BAD_DATA, `malformed OpenPGP data: ${result.detail}`);
      }
      if (values['session-key-out'] && result.sessionKey) await writeOutput(values['session-key-out'], `${result.sessionKey}\n`);
      if (verificationsOut) {
        const lines = verificationLines(
          result.verifications,
          parseDate(values['verify-not-before'], -Infinity),
          parseDate(values['verify-not-after'], Date.now()),
        );
        await writeOutput(verificationsOut, lines.map((l) => `${l}\n`).join(''));
      }
      return;
    }
    case 'inline-sign': {
      const { values, positionals } = parse(rest, {
        armor: { type: 'boolean' },
        'no-armor': { type: 'boolean' },
        as: { type: 'string', default: 'binary' },
        'with-key-password': { type: 'string', multiple: true },
      });
      if (positionals.length === 0) throw new SopError(SOP_EXIT.MISSING_ARG, 'inline-sign needs at least one KEYS file');
      if (!['binary', 'text', 'clearsigned'].includes(values.as)) throw new SopError(SOP_EXIT.UNSUPPORTED_OPTION, `--as=${values.as}`);
      if (values.as === 'clearsigned' && values['no-armor'])
        throw new SopError(SOP_EXIT.INCOMPATIBLE_OPTIONS, '--as=clearsigned cannot be used with --no-armor');
      const material = await Promise.all(positionals.map(readInput));
      const keyPasswords = await Promise.all((values['with-key-password'] ?? []).map(readPassword));
      const input = values.as === 'binary' ? stdinStream() : await requireText(await stdinBytes());
      const call = keyring.stream(
        'crypto.sign',
        {
          mode: values.as === 'clearsigned' ? 'cleartext' : 'inline',
          signers: { refs: [], material },
          keyPasswords,
          armor: !values['no-armor'],
          literal: values.as === 'text' ? 'text' : 'binary',
        },
        input,
      );
      await writeStream(call.output, process.stdout).catch(() => {});
      await call.result;
      return;
    }
    case 'inline-verify': {
      const { values, positionals } = parse(rest, {
        'not-before': { type: 'string' },
        'not-after': { type: 'string' },
        'verifications-out': { type: 'string' },
      });
      if (positionals.length === 0) throw new SopError(SOP_EXIT.MISSING_ARG, 'inline-verify needs at least one CERTS file');
      await checkOutputFree(values['verifications-out']);
      const material = await Promise.all(positionals.map(readInput));
      // The data is released only when a signature is good: buffered in the keyring, then written here.
      const call = keyring.stream('crypto.verify', { verifyWith: { refs: [], material }, requireValid: true }, stdinStream());
      const parts: Uint8Array[] = [];
      const reader = call.output.getReader();
      for (;;) {
        const r = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (r.done) break;
        parts.push(r.value);
      }
      const result = await call.result;
      const lines = verificationLines(
        result.verifications,
        parseDate(values['not-before'], -Infinity),
        parseDate(values['not-after'], Date.now()),
      );
      if (lines.length === 0) throw new SopError(SOP_EXIT.NO_SIGNATURE, 'no valid signature');
      for (const p of parts) await writeStdout(p);
      if (values['verifications-out']) await writeOutput(values['verifications-out'], lines.map((l) => `${l}\n`).join(''));
      return;
    }
    case 'inline-detach': {
      const { values } = parse(rest, { armor: { type: 'boolean' }, 'no-armor': { type: 'boolean' }, 'signatures-out': { type: 'string' } });
      if (!values['signatures-out']) throw new SopError(SOP_EXIT.MISSING_ARG, 'inline-detach needs --signatures-out');
      await checkOutputFree(values['signatures-out']);
      const { output, result } = await keyring.collect('crypto.inlineDetach', { armor: !values['no-armor'] }, stdinStream());
      await writeOutput(values['signatures-out'], result.signatures);
      await writeStdout(output);
      return;
    }
    case 'armor': {
      const { values } = parse(rest, { label: { type: 'string' } });
      if (values.label && values.label !== 'auto') throw new SopError(SOP_EXIT.UNSUPPORTED_OPTION, `--label=${values.label}`);
      const { output } = await keyring.collect('crypto.armor', {}, stdinStream());
      await writeStdout(output);
      return;
    }
    case 'dearmor': {
      parse(rest, {});
      const { output } = await keyring.collect('crypto.dearmor', {}, stdinStream());
      await writeStdout(output);
      return;
    }
    case undefined:
      throw new SopError(SOP_EXIT.MISSING_ARG, 'sop needs a subcommand');
    default:
      throw new SopError(SOP_EXIT.UNSUPPORTED_SUBCOMMAND, `unsupported subcommand ${sub}`);
  }
}

async function requireText(bytes: Uint8Array): Promise<Uint8Array> {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SopError(SOP_EXIT.EXPECTED_TEXT, 'the input is not UTF-8 text');
  }
  return bytes;
}
