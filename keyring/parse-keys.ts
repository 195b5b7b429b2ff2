import * as openpgp from 'openpgp';
import type { Key, SignaturePacket as SignaturePacketT } from 'openpgp';
import { SealpostError } from '../app/errors.ts';
import { translateOpenpgpError } from './openpgp-errors.ts';
import { hasValidSelfCertification, upperFingerprint } from './key-info.ts';
import { armorChecksumMatches } from './armor-checksum.ts';

/** What one file (or paste) of key material holds: keys, stand-alone revocations, and what could not be read. */
export interface ParsedKeyMaterial {
  keys: Key[];
  revocations: SignaturePacketT[];
  problems: SealpostError[];
}

const { enums } = openpgp;
/** Packet classes allowed in key material, keyed by tag (openpgp.js takes a plain object). */
const KEY_PACKETS: Record<number, object> = Object.fromEntries(
  [
    openpgp.PublicKeyPacket,
    openpgp.PublicSubkeyPacket,
    openpgp.SecretKeyPacket,
    openpgp.SecretSubkeyPacket,
    openpgp.UserIDPacket,
    openpgp.UserAttributePacket,
    openpgp.SignaturePacket,
    openpgp.TrustPacket,
    openpgp.MarkerPacket,
  ].map((cls) => [(cls as unknown as { tag: number }).tag, cls]),
);

const ARMOR_BLOCK = /-----BEGIN PGP ([A-Z0-9 ,/]+)-----[\s\S]*?(?:-----END PGP \1-----|$)/g;

/** The OpenPGP packet tag of a first byte, or -1 when the byte cannot start a packet (RFC 9580, section 4.2). */
function packetTag(byte: number): number {
  if ((byte & 0x80) === 0) return -1;
  return byte & 0x40 ? byte & 0x3f : (byte >> 2) & 0x0f;
}

export async function parseKeyMaterial(bytes: Uint8Array): Promise<ParsedKeyMaterial> {
  if (bytes.length === 0) throw new SealpostError('key-unparseable', 'the input is empty');
  const head = Buffer.from(bytes.subarray(0, Math.min(bytes.length, 1 << 20))).toString('latin1');
  const result: ParsedKeyMaterial = { keys: [], revocations: [], problems: [] };
  if (head.includes('-----BEGIN PGP ')) {
    const text = Buffer.from(bytes).toString('utf8');
    const blocks = [...text.matchAll(ARMOR_BLOCK)];
    let index = 0;
    for (const block of blocks) {
      index += 1;
      const label = blocks.length > 1 ? `armor block ${index}` : 'the armored data';
      const kind = block[1] ?? '';
      if (!/^(PUBLIC KEY BLOCK|PRIVATE KEY BLOCK|SECRET KEY BLOCK|SIGNATURE)$/.test(kind)) {
        result.problems.push(new SealpostError('key-unparseable', `${label} is a "${kind}", not a key`));
        continue;
      }
      if (!block[0].includes('-----END PGP ')) {
        result.problems.push(new SealpostError('key-unparseable', `${label} is truncated (no END line)`));
        continue;
      }
      if (!armorChecksumMatches(block[0])) {
        result.problems.push(new SealpostError('key-unparseable', `${label} is damaged (its armor checksum does not match)`));
        continue;
      }
      let data: Uint8Array;
      try {
        const unarmored = await openpgp.unarmor(block[0]);
        data = await readAll(unarmored.data);
      } catch (e) {
        result.problems.push(
          new SealpostError('key-unparseable', `${label}: ${translateOpenpgpError(e, 'key-unparseable').detail ?? 'bad armor'}`),
        );
        continue;
      }
      await parseBinary(data, label, result);
    }
    return result;
  }
  const tag = packetTag(bytes[0]!);
  if (![enums.packet.publicKey, enums.packet.secretKey, enums.packet.signature, enums.packet.marker].includes(tag)) {
    throw new SealpostError('key-unparseable', 'neither ASCII-armored nor binary OpenPGP key data');
  }
  await parseBinary(bytes, 'the binary data', result);
  return result;
}

async function readAll(data: Uint8Array | ReadableStream<Uint8Array>): Promise<Uint8Array> {
  if (data instanceof Uint8Array) return data;
  return new Uint8Array(await new Response(data).arrayBuffer());
}

async function parseBinary(data: Uint8Array, label: string, out: ParsedKeyMaterial): Promise<void> {
  let packets: openpgp.PacketList<openpgp.AnyPacket>;
  try {
    packets = await openpgp.PacketList.fromBinary(data, KEY_PACKETS as never, { ...openpgp.config, ignoreMalformedPackets: false });
  } catch (e) {
    out.problems.push(new SealpostError('key-unparseable', `${label}: ${translateOpenpgpError(e).detail ?? 'malformed packets'}`));
    return;
  }
  const chunks: openpgp.AnyPacket[][] = [];
  for (const packet of packets) {
    const tag = (packet.constructor as { tag?: number }).tag;
    if (tag === enums.packet.publicKey || tag === enums.packet.secretKey) {
      chunks.push([packet]);
    } else if (chunks.length === 0) {
      if (tag === enums.packet.signature) out.revocations.push(packet as SignaturePacketT);
    } else {
      chunks[chunks.length - 1]!.push(packet);
    }
  }
  if (chunks.length === 0 && out.revocations.length === 0) {
    out.problems.push(
      new SealpostError(
        'key-unsupported',
        `${label} holds no key this program can read (an unsupported key version, such as v5, or no key packet)`,
      ),
    );
  }
  let n = 0;
  for (const chunk of chunks) {
    n += 1;
    const where = chunks.length > 1 ? `${label}, key ${n}` : label;
    const list = new openpgp.PacketList();
    list.push(...chunk);
    let key: Key;
    try {
      key = await openpgp.readKey({ binaryKey: list.write() });
    } catch (e) {
      const err = translateOpenpgpError(e, 'key-unparseable');
      out.problems.push(new SealpostError(err.code, `${where}: ${err.detail ?? err.message}`, err.details));
      continue;
    }
    try {
      await checkSelfSignatures(key);
      out.keys.push(key);
    } catch (e) {
      out.problems.push(
        e instanceof SealpostError
          ? new SealpostError(e.code, `${where}: ${e.detail ?? e.message}`, e.details)
          : new SealpostError('key-unparseable', where),
      );
    }
  }
}

/**
 * A key is accepted when its primary key is bound by at least one valid
 * self-signature (RFC 9580, section 5.2.3.x): a user id certification or a
 * direct-key signature. Revoked and expired keys are accepted (the user must
 * learn that a correspondent's key was revoked); keys whose self-signatures
 * are all broken are refused.
 */
export async function checkSelfSignatures(key: Key): Promise<void> {
  try {
    await key.verifyPrimaryKey();
    return;
  } catch (e) {
    if (/revoked|expired/i.test((e as Error).message)) return;
  }
  for (const user of key.users) {
    if (user.userID && (await hasValidSelfCertification(key, user))) return;
  }
  throw new SealpostError('key-bad-self-signature', `key ${upperFingerprint(key)} has no valid self-signature`, {
    fingerprint: upperFingerprint(key),
  });
}
