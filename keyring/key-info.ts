import type { Key, Subkey } from 'openpgp';
import type { KeySummary, SubkeySummary, Trust, KeySource, Verification } from '../app/keys.ts';
import { addressOfUserId } from '../app/user-ids.ts';

export interface KeyMeta {
  trust: Trust;
  sources: KeySource[];
  verification?: Verification | undefined;
}

/** Algorithm names as people know them ("ed25519", "rsa4096", "nistp256"). */
export function algorithmName(info: { algorithm: string; bits?: number; curve?: string }): string {
  switch (info.algorithm) {
    case 'rsaEncryptSign':
    case 'rsaEncrypt':
    case 'rsaSign':
      return `rsa${info.bits ?? ''}`;
    case 'eddsaLegacy':
    case 'ed25519':
      return 'ed25519';
    case 'ed448':
      return 'ed448';
    case 'x25519':
      return 'cv25519';
    case 'x448':
      return 'x448';
    case 'ecdh':
    case 'ecdsa': {
      const curve = info.curve ?? '';
      if (curve === 'curve25519Legacy' || curve === 'curve25519') return 'cv25519';
      if (curve === 'ed25519Legacy') return 'ed25519';
      return curve.toLowerCase().replace(/^p(\d+)$/, 'nistp$1');
    }
    case 'dsa':
      return `dsa${info.bits ?? ''}`;
    case 'elgamal':
      return `elg${info.bits ?? ''}`;
    default:
      return info.algorithm;
  }
}

export const upperFingerprint = (key: Key | Subkey): string => key.getFingerprint().toUpperCase();
export const upperKeyId = (key: Key | Subkey): string => key.getKeyID().toHex().toUpperCase();

function isoOrNull(date: Date | number | null): string | null {
  if (date === null || date === Infinity || !(date instanceof Date)) return null;
  return date.toISOString();
}

/** The address in a user id: "Name <a@b>" or a bare "a@b". Lower-cased domain part. */
export function emailOfUserId(userId: string): string | null {
  const bare = addressOfUserId(userId);
  if (!bare) return null;
  const at = bare.lastIndexOf('@');
  return `${bare.slice(0, at)}@${bare.slice(at + 1).toLowerCase()}`;
}

/** User ids with at least one valid self-certification; all of them when none verifies (an expired key). */
export async function validUserIds(key: Key): Promise<string[]> {
  const named = key.users.filter((u) => u.userID !== null);
  const valid: string[] = [];
  for (const user of named) {
    try {
      await user.verify();
      valid.push(user.userID!.userID);
    } catch {
      // revoked or uncertified user id
    }
  }
  if (valid.length > 0) return valid;
  const fallback: string[] = [];
  for (const user of named) {
    if (await hasValidSelfCertification(key, user)) fallback.push(user.userID!.userID);
  }
  return fallback;
}

export async function hasValidSelfCertification(key: Key, user: Key['users'][number]): Promise<boolean> {
  for (const cert of user.selfCertifications) {
    try {
      await cert.verify(key.keyPacket, cert.signatureType!, { userID: user.userID, key: key.keyPacket }, null as unknown as Date);
      return true;
    } catch {
      // try the next one
    }
  }
  return false;
}

async function capable(get: () => Promise<unknown>): Promise<boolean> {
  try {
    await get();
    return true;
  } catch {
    return false;
  }
}

async function subkeySummary(key: Key, sub: Subkey): Promise<SubkeySummary> {
  const id = sub.getKeyID();
  let revoked = false;
  try {
    await sub.verify();
  } catch (e) {
    revoked = /revoked/i.test(String((e as Error).message));
  }
  let expires: Date | number | null = null;
  try {
    expires = await sub.getExpirationTime();
  } catch {
    expires = null;
  }
  return {
    fingerprint: upperFingerprint(sub),
    keyId: upperKeyId(sub),
    algorithm: algorithmName(sub.getAlgorithmInfo()),
    created: sub.getCreationTime().toISOString(),
    expires: isoOrNull(expires),
    revoked,
    canEncrypt: await capable(() => key.getEncryptionKey(id)),
    canSign: await capable(() => key.getSigningKey(id)),
    hasSecret: key.isPrivate() && 'isDummy' in sub.keyPacket && !sub.keyPacket.isDummy(),
  };
}

export async function isKeyRevoked(key: Key): Promise<boolean> {
  try {
    return await key.isRevoked();
  } catch {
    return false;
  }
}

export async function summarize(key: Key, meta: KeyMeta, withSubkeys = false): Promise<KeySummary> {
  const userIds = await validUserIds(key);
  const emails = [...new Set(userIds.map(emailOfUserId).filter((e): e is string => e !== null))];
  let expires: Date | number | null = null;
  try {
    expires = await key.getExpirationTime();
  } catch {
    expires = null;
  }
  const summary: KeySummary = {
    fingerprint: upperFingerprint(key),
    keyId: upperKeyId(key),
    userIds,
    emails,
    hasSecret: key.isPrivate(),
    algorithm: algorithmName(key.getAlgorithmInfo()),
    version: key.keyPacket.version,
    created: key.getCreationTime().toISOString(),
    expires: isoOrNull(expires),
    revoked: await isKeyRevoked(key),
    canEncrypt: await capable(() => key.getEncryptionKey()),
    canSign: await capable(() => key.getSigningKey()),
    trust: meta.trust,
    sources: meta.sources,
    ...(meta.trust === 'verified' && meta.verification ? { verification: meta.verification } : {}),
  };
  if (withSubkeys) summary.subkeys = await Promise.all(key.subkeys.map((s) => subkeySummary(key, s)));
  return summary;
}
