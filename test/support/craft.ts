/**
 * Hostile OpenPGP data for the security tests, made with openpgp.js:
 * encrypted data without integrity protection (SED, tag 9), AEAD (SEIPD v2)
 * messages, compression bombs, and bit flips in ciphertext.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createDeflate } from 'node:zlib';
import * as openpgp from 'openpgp';

export async function readCert(path: string): Promise<openpgp.Key> {
  return openpgp.readKey({ armoredKey: readFileSync(path, 'utf8') });
}

export function armorMessage(bytes: Uint8Array): string {
  return openpgp.armor(openpgp.enums.armor.message, bytes);
}

/** The binary form of an armored message (its body lines decoded; headers and checksum dropped). */
export function dearmor(armored: string): Uint8Array {
  const lines = armored.replace(/\r/g, '').split('\n');
  const begin = lines.findIndex((l) => l.startsWith('-----BEGIN PGP MESSAGE-----'));
  const blank = lines.indexOf('', begin);
  const end = lines.findIndex((l) => l.startsWith('-----END PGP MESSAGE-----'));
  const body = lines.slice(blank + 1, end).filter((l) => !l.startsWith('='));
  return new Uint8Array(Buffer.from(body.join(''), 'base64'));
}

/** The parts of openpgp.js packets the typings keep private. */
interface EncryptablePacket {
  packets: openpgp.PacketList<openpgp.AnyPacket>;
  encrypt(algorithm: openpgp.enums.symmetric, key: Uint8Array, config?: openpgp.Config): Promise<void>;
}
interface RawCompressedPacket {
  algorithm: openpgp.enums.compression;
  compressed: Uint8Array;
}

/** A PKESK for `cert` over a fresh AES-256 session key: the session key and the packet's bytes. */
async function sessionKeyFor(cert: openpgp.Key): Promise<{ key: Uint8Array; pkesk: Uint8Array }> {
  const key = new Uint8Array(randomBytes(32));
  const pkesk = await openpgp.encryptSessionKey({ data: key, algorithm: 'aes256', encryptionKeys: cert, format: 'binary' });
  return { key, pkesk };
}

/**
 * An OpenPGP message to `cert` whose data is a Symmetrically Encrypted Data
 * packet (tag 9): no MDC, no integrity protection at all (the EFAIL CFB
 * gadget case). openpgp.js reads it back only with allowUnauthenticatedMessages.
 */
export async function sedMessage(cert: openpgp.Key, plaintext: Uint8Array): Promise<string> {
  const { key, pkesk } = await sessionKeyFor(cert);
  const literal = await openpgp.createMessage({ binary: plaintext, format: 'binary' });
  const sed = new openpgp.SymmetricallyEncryptedDataPacket() as unknown as EncryptablePacket;
  sed.packets = literal.packets;
  await sed.encrypt(openpgp.enums.symmetric.aes256, key, { ...openpgp.config, allowUnauthenticatedMessages: true });
  const list = new openpgp.PacketList<openpgp.AnyPacket>();
  list.push(sed as unknown as openpgp.AnyPacket);
  const bytes = new Uint8Array([...pkesk, ...list.write()]);
  // Sanity: the packet really is tag 9 and decrypts only when unauthenticated messages are allowed.
  const parsed = await openpgp.readMessage({ binaryMessage: bytes });
  if (!parsed.packets.some((p) => p instanceof openpgp.SymmetricallyEncryptedDataPacket)) throw new Error('no SED packet');
  return armorMessage(bytes);
}

/** An AEAD-protected (SEIPD v2, OCB) message to `cert`. */
export async function aeadMessage(cert: openpgp.Key, plaintext: Uint8Array): Promise<string> {
  const message = await openpgp.createMessage({ binary: plaintext, format: 'binary' });
  const sessionKey: openpgp.SessionKey = { data: new Uint8Array(randomBytes(32)), algorithm: 'aes256', aeadAlgorithm: 'ocb' };
  return openpgp.encrypt({ message, encryptionKeys: cert, sessionKey, format: 'armored' });
}

/** A copy of the binary message with one byte of the last packet (the encrypted data) flipped, `fromEnd` bytes before its end. */
export function flipByte(bytes: Uint8Array, fromEnd: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const at = out.length - fromEnd;
  out[at] = out[at]! ^ 0x01;
  return out;
}

/** The new-format packet header of `tag` for a body of `length` bytes (five-octet length). */
function packetHeader(tag: number, length: number): Uint8Array {
  return new Uint8Array([0xc0 | tag, 0xff, (length >>> 24) & 0xff, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff]);
}

/**
 * A ZLIB stream (RFC 1950) of a Literal Data packet whose content is
 * `prefix` followed by `zeros` zero bytes, compressed on the fly (no
 * buffer of the uncompressed size is ever made).
 */
async function zlibLiteral(prefix: Uint8Array, zeros: number): Promise<Uint8Array> {
  const bodyLength = 6 + prefix.length + zeros; // format, filename length, date, data
  const head = new Uint8Array([...packetHeader(11, bodyLength), 0x62 /* 'b' */, 0, 0, 0, 0, 0]);
  const d = createDeflate({ level: 9, memLevel: 9 });
  const out: Buffer[] = [];
  d.on('data', (c: Buffer) => out.push(c));
  const done = new Promise<void>((resolve, reject) => {
    d.on('end', () => resolve());
    d.on('error', reject);
  });
  const write = async (b: Uint8Array) => {
    if (!d.write(b)) await new Promise<void>((r) => d.once('drain', () => r()));
  };
  await write(head);
  await write(prefix);
  const chunk = Buffer.alloc(1 << 20);
  let left = zeros;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    await write(n === chunk.length ? chunk : chunk.subarray(0, n));
    left -= n;
  }
  d.end();
  await done;
  return Buffer.concat(out);
}

/**
 * A decompression bomb: a message to `cert` whose encrypted content is one
 * Compressed Data packet (ZLIB) holding a literal of `prefix` + `zeros` zero
 * bytes. Returns the armored message and its compressed size.
 */
export async function compressionBomb(
  cert: openpgp.Key,
  zeros: number,
  prefix: Uint8Array = new Uint8Array(),
): Promise<{ armored: string; compressedBytes: number }> {
  const compressed = await zlibLiteral(prefix, zeros);
  const packet = new openpgp.CompressedDataPacket() as unknown as RawCompressedPacket;
  packet.algorithm = openpgp.enums.compression.zlib;
  packet.compressed = compressed;
  const list = new openpgp.PacketList<openpgp.AnyPacket>();
  list.push(packet as unknown as openpgp.AnyPacket);
  const message = new openpgp.Message(list);
  const armored = await openpgp.encrypt({ message, encryptionKeys: cert, format: 'armored' });
  return { armored, compressedBytes: compressed.length };
}
