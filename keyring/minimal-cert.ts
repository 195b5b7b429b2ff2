import * as openpgp from 'openpgp';
import type { PublicKey } from 'openpgp';
import { sameAddress } from '../app/address.ts';
import { emailOfUserId } from './key-info.ts';

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

/**
 * The certificate with only the user ids of one address (a Web Key
 * Directory file, draft-koch-openpgp-webkey-service section 3.1: the key
 * "SHOULD" carry only the user ids with the looked-up address): the primary
 * key with its own signatures, each user id of the address with all its
 * signatures (self-certifications, revocations, certifications by others),
 * and every subkey with its bindings and revocations, so that a revoked or
 * expired part stays visible to who reads the directory. User ids of other
 * addresses and user attributes are left out. Null when no user id carries
 * the address.
 */
export function certificateForAddress(key: PublicKey, address: string): PublicKey | null {
  const wanted = (userId: string) => {
    const email = emailOfUserId(userId);
    return email !== null && sameAddress(email, address);
  };
  if (!key.users.some((u) => u.userID && wanted(u.userID.userID))) return null;
  // The key's packets in their order (RFC 9580 section 10.1), each signature after what it belongs to: a user id's
  // and a user attribute's signatures go with it, the primary key's and the subkeys' stay.
  const list = new openpgp.PacketList<openpgp.AnyPacket>();
  let keep = true;
  for (const packet of key.toPacketList()) {
    if (packet instanceof openpgp.UserIDPacket) keep = wanted(packet.userID);
    else if (packet instanceof openpgp.UserAttributePacket) keep = false;
    else if (packet instanceof openpgp.PublicSubkeyPacket || packet instanceof openpgp.SecretSubkeyPacket) keep = true;
    if (keep) list.push(packet);
  }
  return new openpgp.PublicKey(list);
}
