import * as openpgp from 'openpgp';
import type { PublicKey } from 'openpgp';

/**
 * The smallest certificate that still lets a correspondent encrypt and
 * verify (as Autocrypt wants it): the primary key, its revocations, the
 * primary user id with its newest self-signature, and each subkey that is
 * valid now with its newest binding signature. No third-party
 * certifications, no user attributes.
 */
export async function minimalCertificate(key: PublicKey): Promise<PublicKey> {
  const list = new openpgp.PacketList<openpgp.AnyPacket>();
  list.push(key.keyPacket);
  list.push(...key.revocationSignatures);
  try {
    const primary = await key.getPrimaryUser();
    if (primary.user.userID) list.push(primary.user.userID, primary.selfCertification);
  } catch {
    // expired or revoked: keep every self-certified user id so that the state is visible
    for (const user of key.users) {
      if (user.userID) list.push(user.userID, ...user.selfCertifications, ...user.revocationSignatures);
    }
  }
  for (const subkey of key.subkeys) {
    try {
      const binding = await subkey.verify();
      list.push(subkey.keyPacket, binding);
    } catch {
      // revoked or expired subkeys are left out
    }
  }
  return new openpgp.PublicKey(list);
}
