/**
 * How one key can vouch for another that carries the same address, so that
 * a key change made by the key's owner can be shown as such:
 *
 * - the new key's user id for the address is certified by the earlier key
 *   (a third-party certification, RFC 9580 section 5.2.1, types 0x10-0x13),
 *   as `gpg --sign-key` with the old key does when moving to a new one;
 * - the earlier key was revoked with the reason "key is superseded"
 *   (RFC 9580 section 5.2.3.31, reason code 1).
 *
 * Neither makes the new key the one in use: the user still chooses.
 */
import * as openpgp from 'openpgp';
import type { Key } from 'openpgp';
import type { RevocationReason } from '../app/keys.ts';
import { emailOfUserId, upperFingerprint } from './key-info.ts';
import { normalizeAddress } from '../app/address.ts';

/** The fingerprints of the `others` that validly certify a user id of `key` carrying the address. */
export async function certifiersOf(key: Key, address: string, others: readonly Key[]): Promise<string[]> {
  const out = new Set<string>();
  const issuers = others.filter((o) => upperFingerprint(o) !== upperFingerprint(key));
  if (issuers.length === 0) return [];
  for (const user of key.users) {
    const email = user.userID ? emailOfUserId(user.userID.userID) : null;
    if (!email || normalizeAddress(email) !== address || user.otherCertifications.length === 0) continue;
    for (const certification of user.otherCertifications) {
      for (const issuer of issuers) {
        if (issuer.getKeys(certification.issuerKeyID).length === 0) continue;
        // true when it verifies, null when the issuer is not the signer; it throws when it is invalid or revoked.
        const valid = await user.verifyCertificate(certification, [issuer], new Date()).catch(() => null);
        if (valid === true) out.add(upperFingerprint(issuer));
      }
    }
  }
  return [...out];
}

const REASONS: Record<number, RevocationReason> = {
  [openpgp.enums.reasonForRevocation.noReason]: 'unspecified',
  [openpgp.enums.reasonForRevocation.keySuperseded]: 'superseded',
  [openpgp.enums.reasonForRevocation.keyCompromised]: 'compromised',
  [openpgp.enums.reasonForRevocation.keyRetired]: 'retired',
};

/** Why the key itself was revoked, by its valid key revocation signature; null when it is not revoked. */
export async function revocationReasonOf(key: Key): Promise<RevocationReason | null> {
  for (const signature of key.revocationSignatures) {
    try {
      await signature.verify(key.keyPacket, openpgp.enums.signature.keyRevocation, { key: key.keyPacket });
    } catch {
      continue;
    }
    return REASONS[signature.reasonForRevocationFlag ?? openpgp.enums.reasonForRevocation.noReason] ?? 'unspecified';
  }
  return null;
}
