/**
 * The OpenPGP payload of an Autocrypt Setup Message (Autocrypt Level 1,
 * section "Autocrypt Setup Message"): the user's secret key, ASCII-armored
 * with an `Autocrypt-Prefer-Encrypt` header, encrypted with the Setup Code
 * as password (SKESK + SEIPD, AES-128, iterated and salted S2K), itself
 * ASCII-armored with `Passphrase-Format` and `Passphrase-Begin` headers.
 *
 * Both directions run here, in the keyring: the unprotected key exists only
 * inside this process, and the code is made here. The main process wraps
 * the armored payload in mail and finds it in mail; it never sees the key.
 */
import * as openpgp from 'openpgp';
import type { PrivateKey } from 'openpgp';
import { SealpostError } from '../app/errors.ts';
import { formatSetupCode, parseSetupCode, SETUP_CODE_DIGITS } from '../app/setup-code.ts';
import { armorChecksumMatches } from './armor-checksum.ts';
import { Keyring, OPENPGP_CONFIG, type ImportOutcome } from './keyring.ts';
import { translateOpenpgpError } from './openpgp-errors.ts';

export type PreferEncrypt = 'mutual' | 'nopreference';

/** A secret key with its user ids and subkeys is far below this; a larger payload is not one. */
export const MAX_SETUP_PAYLOAD = 4 * 1024 * 1024;

/** Autocrypt Level 1: AES-128 with the code through the iterated and salted S2K, SEIPDv1 (what every reader takes), no compression. */
const SEAL_CONFIG: openpgp.Config = {
  ...OPENPGP_CONFIG,
  preferredSymmetricAlgorithm: openpgp.enums.symmetric.aes128,
  preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed,
  s2kType: openpgp.enums.s2k.iterated,
  aeadProtect: false,
};
const OPEN_CONFIG: openpgp.Config = { ...OPENPGP_CONFIG, maxDecompressedMessageSize: MAX_SETUP_PAYLOAD };

/**
 * 36 digits from the CSPRNG (Autocrypt Level 1, "Setup Code"). Bytes of 250
 * and above are dropped, so that each digit is uniform (250 = 25 x 10).
 */
export function generateSetupCode(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  let digits = '';
  while (digits.length < SETUP_CODE_DIGITS) {
    for (const byte of random(new Uint8Array(64))) {
      if (byte < 250 && digits.length < SETUP_CODE_DIGITS) digits += String(byte % 10);
    }
  }
  return formatSetupCode(digits);
}

/** Armor headers inserted after the BEGIN line (openpgp.js writes none of its own with the keyring's config). */
function withArmorHeaders(armored: string, headers: string[]): string {
  const firstBreak = armored.indexOf('\n');
  return `${armored.slice(0, firstBreak + 1)}${headers.map((h) => `${h}\n`).join('')}${armored.slice(firstBreak + 1)}`;
}

/** The armor header lines of a block (between the BEGIN line and the blank line), by lower-cased name. */
function armorHeaders(block: string): Map<string, string> {
  const headers = new Map<string, string>();
  const lines = block.split(/\r?\n/);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return headers;
}

/**
 * The armored Setup Message payload for a secret key and a fresh code. The
 * key goes in unprotected, as the specification wants it (the Setup Code is
 * its protection in transit; K-9 Mail and Delta Chat expect it so).
 */
export async function createSetupPayload(
  keyring: Keyring,
  p: { fingerprint: string; passphrase: string | null; preferEncrypt: PreferEncrypt },
): Promise<{ armored: string; code: string }> {
  const unlocked = await Keyring.unlock(await keyring.secretKeyFor(p.fingerprint), p.passphrase);
  const armoredKey = withArmorHeaders(unlocked.armor(OPENPGP_CONFIG), [`Autocrypt-Prefer-Encrypt: ${p.preferEncrypt}`]);
  const code = generateSetupCode();
  try {
    const message: openpgp.Message<Uint8Array> = await openpgp.createMessage({
      binary: new TextEncoder().encode(armoredKey),
      format: 'binary',
    });
    // openpgp.js types its output by input kind through types ESLint's checker cannot resolve; with bytes in and format binary it is bytes.
    const encrypted = (await openpgp.encrypt({
      message,
      passwords: [code],
      format: 'binary',
      config: SEAL_CONFIG,
    } as openpgp.EncryptOptions & { message: typeof message; format: 'binary' })) as unknown as Uint8Array;
    const armored = openpgp.armor(openpgp.enums.armor.message, encrypted, undefined, undefined, undefined, true, OPENPGP_CONFIG);
    return { armored: withArmorHeaders(armored, ['Passphrase-Format: numeric9x4', `Passphrase-Begin: ${code.slice(0, 2)}`]), code };
  } catch (e) {
    throw translateOpenpgpError(e, 'internal');
  }
}

/**
 * The passwords to try for what the user typed. With `Passphrase-Format:
 * numeric9x4` the code is 36 digits and is tried in its canonical form;
 * without it the specification asks for a plain text entry, tried as typed
 * (and in the canonical form too when it reads as a numeric code).
 */
function passwordsFor(typed: string, headers: Map<string, string>): string[] {
  const canonical = parseSetupCode(typed);
  const format = headers.get('passphrase-format')?.toLowerCase();
  if (format === 'numeric9x4') {
    if (canonical === null)
      throw new SealpostError('bad-input', 'a setup code is 36 digits in nine blocks of four (1234-5678-...); the one given is not');
    const begin = headers.get('passphrase-begin');
    if (begin && /^[0-9]{1,4}$/.test(begin) && !canonical.startsWith(begin))
      throw new SealpostError('crypto-wrong-password', `this setup message's code begins with ${begin}; the one given does not`);
    return [canonical];
  }
  if (typed === '') throw new SealpostError('bad-input', 'the setup code is empty');
  return canonical !== null && canonical !== typed ? [typed, canonical] : [typed];
}

/** The first armored private key block of the decrypted payload; whatever follows its END line is dropped (as the specification says). */
function firstPrivateKeyBlock(text: string): string {
  const m = /-----BEGIN PGP PRIVATE KEY BLOCK-----[\s\S]*?-----END PGP PRIVATE KEY BLOCK-----/.exec(text);
  if (!m) throw new SealpostError('key-unparseable', 'the setup message opened, but holds no ASCII-armored secret key');
  return m[0];
}

/** Every secret key packet is unprotected (or a stub without secret material): then the key can be protected anew. */
function isUnprotected(key: PrivateKey): boolean {
  return key.getKeys().every(({ keyPacket }) => {
    const packet = keyPacket as openpgp.SecretKeyPacket;
    return (typeof packet.isDummy === 'function' && packet.isDummy()) || packet.isDecrypted() === true;
  });
}

/**
 * Opens an armored Setup Message payload with the typed code and imports
 * the secret key (source `setup-message`). The key is protected with
 * `passphrase` before it is stored (left unprotected when it is null); a
 * key that arrives protected by a passphrase of its own stays as it came.
 * A wrong code, or a payload that is not one, changes nothing.
 */
export async function importSetupPayload(
  keyring: Keyring,
  p: { armored: string; code: string; passphrase: string | null },
): Promise<ImportOutcome & { preferEncrypt: PreferEncrypt | null }> {
  const block = /-----BEGIN PGP MESSAGE-----[\s\S]*?-----END PGP MESSAGE-----/.exec(p.armored)?.[0];
  if (!block) throw new SealpostError('bad-input', 'no armored OpenPGP message (BEGIN PGP MESSAGE) in the setup message');
  if (!armorChecksumMatches(block))
    throw new SealpostError('bad-input', 'the setup message is damaged (its armor checksum does not match)');
  const passwords = passwordsFor(p.code, armorHeaders(block));

  let message: openpgp.Message<Uint8Array>;
  try {
    message = await openpgp.readMessage({ armoredMessage: block, config: OPENPGP_CONFIG });
  } catch (e) {
    throw translateOpenpgpError(e, 'crypto-malformed');
  }
  // Autocrypt Level 1: exactly a Symmetric-Key Encrypted Session Key and integrity-protected data.
  const packets = [...message.packets];
  if (packets.some((x) => x instanceof openpgp.SymmetricallyEncryptedDataPacket))
    throw new SealpostError('crypto-no-integrity', 'the setup message is encrypted without integrity protection; refused');
  const skesk = packets.filter((x) => x instanceof openpgp.SymEncryptedSessionKeyPacket).length;
  const data = packets.filter(
    (x) => x instanceof openpgp.SymEncryptedIntegrityProtectedDataPacket || x instanceof openpgp.AEADEncryptedDataPacket,
  ).length;
  if (skesk === 0 || data !== 1 || skesk + data !== packets.length)
    throw new SealpostError('crypto-malformed', 'the setup message is not password-encrypted data (one SKESK and one SEIPD packet)');

  let plaintext: Uint8Array;
  try {
    const decrypted: { data: Uint8Array } = await openpgp.decrypt({
      message,
      passwords,
      format: 'binary',
      config: OPEN_CONFIG,
    });
    plaintext = decrypted.data;
  } catch (e) {
    const err = translateOpenpgpError(e, 'crypto-malformed');
    // With a password alone, a wrong code and changed data look the same: a session key that does not open the data.
    if (err.is('crypto-no-key') || err.is('crypto-integrity-failed') || err.is('crypto-malformed'))
      throw new SealpostError(
        'crypto-wrong-password',
        'the setup code does not open this setup message (a wrong code, or a changed message)',
      );
    throw err;
  }

  const keyBlock = firstPrivateKeyBlock(new TextDecoder('utf-8').decode(plaintext));
  if (!armorChecksumMatches(keyBlock)) throw new SealpostError('key-unparseable', 'the secret key in the setup message is damaged');
  const prefer = armorHeaders(keyBlock).get('autocrypt-prefer-encrypt')?.toLowerCase();
  let key: PrivateKey;
  try {
    const keys = await openpgp.readKeys({ armoredKeys: keyBlock, config: OPENPGP_CONFIG });
    if (keys.length !== 1 || !keys[0]!.isPrivate())
      throw new SealpostError('key-unparseable', 'the setup message must hold exactly one secret key');
    key = keys[0]!;
  } catch (e) {
    throw translateOpenpgpError(e, 'key-unparseable');
  }
  let stored = key;
  if (p.passphrase !== null && isUnprotected(key)) {
    try {
      stored = await openpgp.encryptKey({ privateKey: key, passphrase: p.passphrase, config: OPENPGP_CONFIG });
    } catch (e) {
      throw translateOpenpgpError(e, 'key-unparseable');
    }
  }
  // Autocrypt Level 1, 4.4.4: the key imported from a setup message becomes the user's own, as one generated here.
  const outcome = await keyring.import(new TextEncoder().encode(stored.armor(OPENPGP_CONFIG)), 'setup-message', { own: true });
  return { ...outcome, preferEncrypt: prefer === 'mutual' || prefer === 'nopreference' ? prefer : null };
}
