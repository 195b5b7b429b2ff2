import * as openpgp from 'openpgp';
import type { Key, PrivateKey, PublicKey } from 'openpgp';

type VerificationResult = Awaited<ReturnType<typeof openpgp.verify>>['signatures'][number];
/** openpgp.js keeps a cleartext message's signature in `signature`; its typings omit it. */
const cleartextSignature = (m: openpgp.CleartextMessage): openpgp.Signature => (m as unknown as { signature: openpgp.Signature }).signature;
import { SealpostError } from '../app/errors.ts';
import type { DecryptResult, Verification, Signer } from '../app/crypto.ts';
import { type Keyring, OPENPGP_CONFIG, generateKeyPair } from './keyring.ts';
import { type UnlockSession } from './session.ts';
import { parseKeyMaterial } from './parse-keys.ts';
import { translateOpenpgpError } from './openpgp-errors.ts';
import { upperFingerprint, validUserIds, isKeyRevoked } from './key-info.ts';
import { Spool } from './spool.ts';
import { BufferReclaimer } from './memory.ts';
import { pump, peek, looksArmored, readAllBytes, textStream, toBytes, streamOf, type Sink } from './streams.ts';

export interface OpContext {
  keyring: Keyring;
  session: UnlockSession;
}

/** Keys named by the caller: store queries (fingerprint, key id, address) and key material given inline. */
export interface KeyRefs {
  refs: string[];
  material: Uint8Array[];
}

export interface EncryptParams {
  recipients: KeyRefs;
  signers: KeyRefs;
  keyPasswords: string[];
  passwords: string[];
  armor: boolean;
  literal: 'binary' | 'text';
  encryptToSigners: boolean;
}

export interface SignParams {
  mode: 'detached' | 'inline' | 'cleartext';
  signers: KeyRefs;
  keyPasswords: string[];
  armor: boolean;
  literal: 'binary' | 'text';
}

export interface DecryptParams {
  keys: KeyRefs;
  useStoredKeys: boolean;
  keyPasswords: string[];
  passwords: string[];
  sessionKeys: string[];
  verifyWith: KeyRefs;
  useStoredCerts: boolean;
  maxOutputBytes: number;
  wantSessionKey: boolean;
}

export interface VerifyParams {
  signature: Uint8Array | null;
  verifyWith: KeyRefs;
  useStoredCerts: boolean;
  /** Inline verification: release the data only when a signature is valid. */
  requireValid: boolean;
}

const CONFIG = OPENPGP_CONFIG;

async function materialKeys(material: Uint8Array[]): Promise<Key[]> {
  const out: Key[] = [];
  for (const bytes of material) {
    const parsed = await parseKeyMaterial(bytes);
    if (parsed.keys.length === 0) throw parsed.problems[0] ?? new SealpostError('key-unparseable', 'no key in the given material');
    out.push(...parsed.keys);
  }
  return out;
}

async function publicKeys(ctx: OpContext, refs: KeyRefs, useStore = false): Promise<PublicKey[]> {
  const keys: PublicKey[] = [];
  for (const ref of refs.refs) keys.push(...(await ctx.keyring.publicKeysFor(ref)));
  for (const key of await materialKeys(refs.material)) keys.push(key.isPrivate() ? key.toPublic() : key);
  if (useStore) keys.push(...(await ctx.keyring.allPublicKeys()));
  return keys;
}

async function secretKeys(ctx: OpContext, refs: KeyRefs): Promise<PrivateKey[]> {
  const keys: PrivateKey[] = [];
  for (const ref of refs.refs) keys.push(await ctx.keyring.secretKeyFor(ref));
  for (const key of await materialKeys(refs.material)) {
    if (!key.isPrivate())
      throw new SealpostError('key-no-secret', `${upperFingerprint(key)} is a certificate, not a secret key`, {
        fingerprint: upperFingerprint(key),
      });
    keys.push(key);
  }
  return keys;
}

/** An unlocked copy: from the session, unprotected as stored, or with one of the given passwords. Null when none fits. */
async function tryUnlock(ctx: OpContext, key: PrivateKey, passwords: string[]): Promise<PrivateKey | null> {
  const cached = ctx.session.get(upperFingerprint(key));
  if (cached) return cached;
  if (key.isDecrypted()) return key;
  for (const password of passwords) {
    for (const candidate of password === password.trimEnd() ? [password] : [password, password.trimEnd()]) {
      try {
        return await openpgp.decryptKey({ privateKey: key, passphrase: candidate });
      } catch {
        // try the next password
      }
    }
  }
  return null;
}

async function unlockAll(ctx: OpContext, keys: PrivateKey[], passwords: string[]): Promise<PrivateKey[]> {
  const out: PrivateKey[] = [];
  const locked: string[] = [];
  for (const key of keys) {
    const unlocked = await tryUnlock(ctx, key, passwords);
    if (unlocked) out.push(unlocked);
    else locked.push(upperFingerprint(key));
  }
  const [first] = locked;
  if (first !== undefined && passwords.length > 0)
    throw new SealpostError('key-wrong-passphrase', `for key ${first}`, { fingerprint: first });
  // Every key that still needs its passphrase, so that one prompt can ask for all of them.
  if (first !== undefined) {
    throw new SealpostError('key-passphrase-required', `for key ${locked.join(', ')}`, { fingerprints: locked.slice(0, 100) });
  }
  return out;
}

async function describe(key: Key): Promise<string> {
  const uid = (await validUserIds(key))[0];
  return uid ? `${upperFingerprint(key)} (${uid})` : upperFingerprint(key);
}

/** Refuse a recipient that cannot receive, naming the key and the reason. */
export async function checkRecipient(key: PublicKey): Promise<void> {
  const fingerprint = upperFingerprint(key);
  if (await isKeyRevoked(key))
    throw new SealpostError('key-unusable-recipient', `${await describe(key)} is revoked`, { fingerprint, reason: 'revoked' });
  const expires = await key.getExpirationTime().catch(() => null);
  if (expires instanceof Date && expires.getTime() <= Date.now()) {
    throw new SealpostError('key-unusable-recipient', `${await describe(key)} expired on ${expires.toISOString().slice(0, 10)}`, {
      fingerprint,
      reason: 'expired',
    });
  }
  try {
    await key.getEncryptionKey(undefined, new Date(), undefined, CONFIG);
  } catch {
    throw new SealpostError('key-unusable-recipient', `${await describe(key)} has no valid encryption subkey`, {
      fingerprint,
      reason: 'no-encryption-subkey',
    });
  }
}

async function checkSigner(key: PrivateKey): Promise<void> {
  try {
    await key.getSigningKey(undefined, new Date(), undefined, CONFIG);
  } catch (e) {
    const why = /revoked/i.test((e as Error).message)
      ? 'is revoked'
      : /expired/i.test((e as Error).message)
        ? 'is expired'
        : 'has no valid signing key';
    throw new SealpostError('key-cannot-sign', `${await describe(key)} ${why}`, { fingerprint: upperFingerprint(key) });
  }
}

async function readMessageAuto(input: ReadableStream<Uint8Array>): Promise<openpgp.Message<ReadableStream<Uint8Array>>> {
  const { head, stream } = await peek(input);
  if (head.length === 0) throw new SealpostError('crypto-malformed', 'the input is empty');
  try {
    if (looksArmored(head)) {
      return await openpgp.readMessage({ armoredMessage: textStream(stream), config: CONFIG });
    }
    return await openpgp.readMessage({ binaryMessage: stream, config: CONFIG });
  } catch (e) {
    throw translateOpenpgpError(e);
  }
}

async function literalMessage(input: ReadableStream<Uint8Array>, literal: 'binary' | 'text') {
  return literal === 'text'
    ? openpgp.createMessage({ text: textStream(input), format: 'utf8' })
    : openpgp.createMessage({ binary: input, format: 'binary' });
}

export async function encrypt(
  ctx: OpContext,
  p: EncryptParams,
  input: ReadableStream<Uint8Array>,
  sink: Sink,
): Promise<{ recipients: string[] }> {
  const recipients = await publicKeys(ctx, p.recipients);
  if (recipients.length === 0 && p.passwords.length === 0) throw new SealpostError('usage', 'no recipient and no password given');
  for (const key of recipients) await checkRecipient(key);
  const signers = await unlockAll(ctx, await secretKeys(ctx, p.signers), p.keyPasswords);
  for (const key of signers) await checkSigner(key);
  if (p.encryptToSigners) {
    for (const signer of signers) {
      if (!recipients.some((r) => r.getFingerprint() === signer.getFingerprint())) recipients.push(signer.toPublic());
    }
  }
  try {
    const message = await literalMessage(input, p.literal);
    const out = await openpgp.encrypt({
      message,
      encryptionKeys: recipients,
      signingKeys: signers,
      ...(p.passwords.length > 0 ? { passwords: p.passwords } : {}),
      format: p.armor ? 'armored' : 'binary',
      config: CONFIG,
    } as openpgp.EncryptOptions & { message: typeof message; format: 'binary' });
    const reclaimer = new BufferReclaimer();
    await pump(out as ReadableStream<Uint8Array | string>, async (chunk) => {
      await sink(chunk);
      reclaimer.passed(chunk.length);
    });
  } catch (e) {
    throw translateOpenpgpError(e, 'internal');
  }
  return { recipients: recipients.map(upperFingerprint) };
}

function micalgOf(hashAlgorithm: number): string {
  return `pgp-${openpgp.enums.read(openpgp.enums.hash, hashAlgorithm).toLowerCase()}`;
}

export async function sign(ctx: OpContext, p: SignParams, input: ReadableStream<Uint8Array>, sink: Sink): Promise<{ micalg: string }> {
  const signers = await unlockAll(ctx, await secretKeys(ctx, p.signers), p.keyPasswords);
  if (signers.length === 0) throw new SealpostError('usage', 'no signing key given');
  for (const key of signers) await checkSigner(key);
  try {
    if (p.mode === 'cleartext') {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(await readAllBytes(input));
      const message = await openpgp.createCleartextMessage({ text });
      const signed = await openpgp.sign({ message, signingKeys: signers, config: CONFIG });
      await sink(toBytes(signed));
      const sig = await openpgp.readCleartextMessage({ cleartextMessage: signed });
      return { micalg: micalgOf(cleartextSignature(sig).packets[0]!.hashAlgorithm!) };
    }
    const message = await literalMessage(input, p.literal);
    if (p.mode === 'detached') {
      // A detached signature is small: build it whole, then read its hash algorithm (RFC 3156 micalg).
      const signature = await openpgp.sign({ message, signingKeys: signers, detached: true, format: 'binary', config: CONFIG } as never);
      const bytes = await readAllBytes(signature);
      const parsed = await openpgp.readSignature({ binarySignature: bytes });
      await sink(p.armor ? toBytes(parsed.armor(CONFIG)) : bytes);
      return { micalg: micalgOf(parsed.packets[0]!.hashAlgorithm!) };
    }
    const out = await openpgp.sign({ message, signingKeys: signers, format: p.armor ? 'armored' : 'binary', config: CONFIG } as never);
    await pump(out as ReadableStream<Uint8Array | string>, sink);
    return { micalg: '' };
  } catch (e) {
    if (e instanceof TypeError && /encoded data/i.test(e.message)) throw new SealpostError('bad-input', 'text mode needs UTF-8 input');
    throw translateOpenpgpError(e, 'internal');
  }
}

async function describeSigner(key: PublicKey, keyId: openpgp.KeyID): Promise<Signer> {
  const signing = key.getKeys(keyId)[0] ?? key;
  return { fingerprint: upperFingerprint(key), signingKeyFingerprint: upperFingerprint(signing), userIds: await validUserIds(key) };
}

/** One signature's outcome, after the data was read to its end (a pending verification is never taken as good). */
async function verificationOf(sig: VerificationResult, keys: PublicKey[]): Promise<Verification> {
  const keyId = sig.keyID.toHex().toUpperCase();
  let packet: openpgp.SignaturePacket | undefined;
  try {
    packet = (await sig.signature).packets[0];
  } catch {
    packet = undefined;
  }
  const created = packet?.created ? packet.created.toISOString() : null;
  const key = keys.find((k) => k.getKeys(sig.keyID).length > 0);
  if (!key) return { status: 'unknown-key', keyId, created };
  const signer = await describeSigner(key, sig.keyID);
  try {
    const verified = await sig.verified;
    if (verified !== true) return { status: 'invalid', keyId, signer, created, reason: 'not verified' };
    const mode = packet?.signatureType === openpgp.enums.signature.text ? 'text' : 'binary';
    return { status: 'valid', signer, created, mode };
  } catch (e) {
    const message = (e as Error).message;
    if (/revoked/i.test(message)) return { status: 'revoked-key', keyId, signer, created };
    if (/expired/i.test(message) && !/signature.*expired/i.test(message)) return { status: 'expired-key', keyId, signer, created };
    return { status: 'invalid', keyId, signer, created, reason: message.replace(/^.*:\s+/, '').slice(0, 200) };
  }
}

function integrityOf(message: openpgp.Message<unknown>): 'mdc' | 'aead' {
  for (const packet of message.packets) {
    if (packet instanceof openpgp.AEADEncryptedDataPacket) return 'aead';
    if (packet instanceof openpgp.SymEncryptedIntegrityProtectedDataPacket)
      return (packet as unknown as { version: number }).version === 2 ? 'aead' : 'mdc';
  }
  return 'mdc';
}

function classifyDecryptError(e: unknown, limit: number): DecryptResult {
  const err = translateOpenpgpError(e);
  switch (err.code) {
    case 'crypto-integrity-failed':
      return { status: 'failed-integrity', reason: 'modified', detail: err.detail ?? err.message };
    case 'crypto-no-integrity':
      return { status: 'failed-integrity', reason: 'no-integrity', detail: err.detail ?? err.message };
    case 'crypto-too-large':
      return { status: 'too-large', limit };
    default:
      return { status: 'malformed', detail: err.detail ?? err.message };
  }
}

/**
 * Decrypt and verify. The plaintext is spooled (see `Spool`) and released to
 * `sink` only after the integrity check (MDC or AEAD) has passed and the
 * whole message was read: data that lacks or fails integrity protection
 * yields no plaintext at all.
 */
export async function decrypt(ctx: OpContext, p: DecryptParams, input: ReadableStream<Uint8Array>, sink: Sink): Promise<DecryptResult> {
  let message: openpgp.Message<ReadableStream<Uint8Array>>;
  try {
    message = await readMessageAuto(input);
  } catch (e) {
    return classifyDecryptError(e, p.maxOutputBytes);
  }
  if (message.packets.some((packet) => packet instanceof openpgp.SymmetricallyEncryptedDataPacket)) {
    return { status: 'failed-integrity', reason: 'no-integrity', detail: 'symmetrically encrypted data packet without MDC' };
  }
  const recipients = message.getEncryptionKeyIDs().map((id) => id.toHex().toUpperCase());
  const given = await secretKeys(ctx, p.keys);
  const stored = p.useStoredKeys ? await ctx.keyring.allSecretKeys() : [];
  const wildcard = recipients.includes('0000000000000000');
  const candidates = [...given, ...stored].filter((key) =>
    wildcard ? true : key.getKeys().some((k) => recipients.includes(k.getKeyID().toHex().toUpperCase())),
  );
  const unlocked: PrivateKey[] = [];
  const locked: string[] = [];
  for (const key of candidates) {
    const u = await tryUnlock(ctx, key, p.keyPasswords);
    if (u) unlocked.push(u);
    else locked.push(upperFingerprint(key));
  }
  const sessionKeys = p.sessionKeys.map(parseSessionKey);
  if (unlocked.length === 0 && p.passwords.length === 0 && sessionKeys.length === 0) {
    return locked.length > 0 ? { status: 'needs-passphrase', recipients, keys: locked } : { status: 'no-key', recipients };
  }
  const verificationKeys = await publicKeys(ctx, p.verifyWith, p.useStoredCerts);
  const spool = new Spool();
  try {
    let sessionKeyOut: string | undefined;
    let decrypted: Awaited<ReturnType<typeof openpgp.decrypt>>;
    try {
      let keysForDecryption = sessionKeys;
      if (p.wantSessionKey && keysForDecryption.length === 0) {
        const found = await openpgp.decryptSessionKeys({
          message,
          ...(unlocked.length > 0 ? { decryptionKeys: unlocked } : {}),
          ...(p.passwords.length > 0 ? { passwords: p.passwords } : {}),
          config: CONFIG,
        });
        keysForDecryption = found.filter((k) => k.algorithm !== null) as openpgp.SessionKey[];
        const first = found[0];
        if (first)
          sessionKeyOut = `${first.algorithm ? (openpgp.enums.symmetric as unknown as Record<string, number>)[first.algorithm] : ''}:${Buffer.from(first.data).toString('hex').toUpperCase()}`;
      }
      decrypted = await openpgp.decrypt({
        message,
        ...(keysForDecryption.length > 0
          ? { sessionKeys: keysForDecryption }
          : {
              ...(unlocked.length > 0 ? { decryptionKeys: unlocked } : {}),
              ...(p.passwords.length > 0 ? { passwords: p.passwords } : {}),
            }),
        verificationKeys,
        format: 'binary',
        expectSigned: false,
        config: { ...CONFIG, allowUnauthenticatedStream: true, maxDecompressedMessageSize: p.maxOutputBytes },
      });
      const reclaimer = new BufferReclaimer();
      await pump(decrypted.data as ReadableStream<Uint8Array>, async (chunk) => {
        if (spool.size + chunk.length > p.maxOutputBytes) throw new SealpostError('crypto-too-large');
        await spool.write(chunk);
        reclaimer.passed(chunk.length);
      });
    } catch (e) {
      const err = translateOpenpgpError(e);
      if (err.code === 'crypto-no-key')
        return locked.length > 0 ? { status: 'needs-passphrase', recipients, keys: locked } : { status: 'no-key', recipients };
      return classifyDecryptError(e, p.maxOutputBytes);
    }
    const verifications: Verification[] = [];
    for (const sig of decrypted.signatures) verifications.push(await verificationOf(sig, verificationKeys));
    const reclaimer = new BufferReclaimer();
    for await (const chunk of spool.read()) {
      await sink(chunk);
      reclaimer.passed(chunk.length);
    }
    return {
      status: 'decrypted',
      integrity: integrityOf(message),
      recipients,
      verifications,
      filename: decrypted.filename ?? '',
      ...(sessionKeyOut ? { sessionKey: sessionKeyOut } : {}),
    };
  } finally {
    await spool.dispose();
  }
}

/** "ALGO:HEX" as the Stateless OpenPGP CLI writes session keys. */
function parseSessionKey(text: string): openpgp.SessionKey {
  const m = /^\s*(\d+):([0-9a-fA-F]+)\s*$/.exec(text);
  if (!m) throw new SealpostError('bad-input', 'a session key must look like ALGO:HEX');
  const algorithm = openpgp.enums.read(openpgp.enums.symmetric, Number(m[1]));
  return { algorithm, data: Buffer.from(m[2]!, 'hex') };
}

async function readSignatureAuto(bytes: Uint8Array): Promise<openpgp.Signature> {
  try {
    return looksArmored(bytes)
      ? await openpgp.readSignature({ armoredSignature: Buffer.from(bytes).toString('utf8') })
      : await openpgp.readSignature({ binarySignature: bytes });
  } catch (e) {
    throw new SealpostError('bad-input', `not an OpenPGP signature: ${translateOpenpgpError(e).detail}`);
  }
}

/** Verify a detached signature over the input, or an inline-signed or cleartext-signed input (whose data goes to `sink`). */
export async function verify(
  ctx: OpContext,
  p: VerifyParams,
  input: ReadableStream<Uint8Array>,
  sink: Sink,
): Promise<{ verifications: Verification[] }> {
  const keys = await publicKeys(ctx, p.verifyWith, p.useStoredCerts);
  if (p.signature) {
    const signature = await readSignatureAuto(p.signature);
    const message = await openpgp.createMessage({ binary: input });
    const result = await openpgp.verify({ message, signature, verificationKeys: keys, format: 'binary', config: CONFIG });
    await pump(result.data as ReadableStream<Uint8Array>, async () => {});
    const verifications: Verification[] = [];
    for (const sig of result.signatures) verifications.push(await verificationOf(sig, keys));
    return { verifications };
  }
  const { head, stream } = await peek(input, 64);
  const spool = new Spool();
  try {
    let signatures: VerificationResult[];
    if (Buffer.from(head).toString('latin1').includes('-----BEGIN PGP SIGNED MESSAGE-----')) {
      const text = Buffer.from(await readAllBytes(stream)).toString('utf8');
      let message: openpgp.CleartextMessage;
      try {
        message = await openpgp.readCleartextMessage({ cleartextMessage: text, config: CONFIG });
      } catch (e) {
        throw new SealpostError('bad-input', `malformed cleartext signature: ${translateOpenpgpError(e).detail}`);
      }
      const result = await openpgp.verify({ message, verificationKeys: keys, config: CONFIG });
      await spool.write(toBytes(result.data));
      signatures = result.signatures;
    } else {
      const message = await readMessageAuto(stream);
      let result;
      try {
        result = await openpgp.verify({ message, verificationKeys: keys, format: 'binary', config: CONFIG });
        await pump(result.data as ReadableStream<Uint8Array>, (chunk) => spool.write(chunk));
      } catch (e) {
        throw new SealpostError('bad-input', `not a signed OpenPGP message: ${translateOpenpgpError(e).detail}`);
      }
      signatures = result.signatures;
    }
    const verifications: Verification[] = [];
    for (const sig of signatures) verifications.push(await verificationOf(sig, keys));
    if (!p.requireValid || verifications.some((v) => v.status === 'valid')) {
      for await (const chunk of spool.read()) await sink(chunk);
    }
    return { verifications };
  } finally {
    await spool.dispose();
  }
}

/** Split an inline-signed message into its data (to `sink`) and its signatures (returned, armored). */
export async function inlineDetach(input: ReadableStream<Uint8Array>, armor: boolean, sink: Sink): Promise<{ signatures: Uint8Array }> {
  const bytes = await readAllBytes(input);
  const text = Buffer.from(bytes).toString('utf8');
  let signature: openpgp.Signature;
  if (text.includes('-----BEGIN PGP SIGNED MESSAGE-----')) {
    const message = await openpgp.readCleartextMessage({ cleartextMessage: text }).catch((e) => {
      throw new SealpostError('bad-input', `malformed cleartext signature: ${translateOpenpgpError(e).detail}`);
    });
    await sink(toBytes(message.getText()));
    signature = cleartextSignature(message);
  } else {
    const message = await readMessageAuto(streamOf(bytes));
    // openpgp.js hands the signatures of a one-pass signed message over
    // only through verification (they follow the data): verify against no
    // key, read the data, then collect the signature packets.
    let result;
    try {
      result = await openpgp.verify({ message, verificationKeys: [], format: 'binary', config: CONFIG });
    } catch (e) {
      throw new SealpostError('bad-input', `not a signed OpenPGP message: ${translateOpenpgpError(e).detail}`);
    }
    const data = await readAllBytes(result.data as ReadableStream<Uint8Array>);
    const list = new openpgp.PacketList<openpgp.SignaturePacket>();
    for (const sig of result.signatures) list.push(...(await sig.signature).packets);
    if (list.length === 0) throw new SealpostError('bad-input', 'the message carries no signature');
    await sink(data);
    signature = new openpgp.Signature(list);
  }
  return { signatures: armor ? toBytes(signature.armor(CONFIG)) : (signature.write() as Uint8Array) };
}

export async function generateKey(p: {
  userIds: string[];
  algo: 'curve25519' | 'rsa4096';
  passphrase: string | null;
  armor: boolean;
}): Promise<Uint8Array> {
  const { privateKey } = await generateKeyPair({ userIds: p.userIds, algo: p.algo, expiresInSeconds: null, passphrase: p.passphrase });
  return p.armor ? toBytes(privateKey.armor(CONFIG)) : privateKey.write();
}

export async function extractCert(material: Uint8Array, armor: boolean): Promise<Uint8Array> {
  const keys = await materialKeys([material]);
  const certs = keys.map((k) => (k.isPrivate() ? k.toPublic() : k));
  if (!armor) return Buffer.concat(certs.map((c) => c.write()));
  return toBytes(certs.map((c) => c.armor(CONFIG)).join(''));
}

/** Armor or dearmor, with the armor type taken from the first packet (RFC 9580, section 6.2). */
export async function armorData(bytes: Uint8Array): Promise<Uint8Array> {
  if (looksArmored(bytes)) return bytes;
  const tag = bytes[0]! & 0x40 ? bytes[0]! & 0x3f : (bytes[0]! >> 2) & 0x0f;
  const type =
    tag === openpgp.enums.packet.secretKey
      ? openpgp.enums.armor.privateKey
      : tag === openpgp.enums.packet.publicKey
        ? openpgp.enums.armor.publicKey
        : tag === openpgp.enums.packet.signature
          ? openpgp.enums.armor.signature
          : openpgp.enums.armor.message;
  return toBytes(openpgp.armor(type, bytes, undefined, undefined, undefined, true, CONFIG));
}

export async function dearmorData(bytes: Uint8Array): Promise<Uint8Array> {
  if (!looksArmored(bytes)) return bytes;
  try {
    const { data } = await openpgp.unarmor(Buffer.from(bytes).toString('utf8'), CONFIG);
    return data instanceof Uint8Array ? data : await readAllBytes(data as ReadableStream<Uint8Array>);
  } catch (e) {
    throw new SealpostError('bad-input', `not ASCII-armored OpenPGP data: ${translateOpenpgpError(e).detail}`);
  }
}
