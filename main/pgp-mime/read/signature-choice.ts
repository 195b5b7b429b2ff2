/**
 * The verify step's report rule: of every verification of the content, the
 * report names one signature, and says whether its signer is the sender.
 */
import type { Address, InspectReport } from '../../../app/inspect-report.ts';
import type { Verification } from '../../../app/crypto.ts';
import { addressOfUserId } from '../../../app/user-ids.ts';
import { sameAddress } from '../../../app/address.ts';

type Signature = InspectReport['signature'];

const RANK: Record<Verification['status'], number> = { valid: 0, 'expired-key': 1, 'revoked-key': 2, invalid: 3, 'unknown-key': 4 };

/**
 * The one signature the report names: a good one by the sender before any
 * other. The signer "matches From" only when one of its user ids carries
 * every sender address the message shows: each From header sent in the
 * clear and the protected From, so that a second From header or a differing
 * inner From cannot borrow someone else's signature.
 */
export function chooseSignature(verifications: Verification[], senders: Address[]): Signature {
  if (verifications.length === 0) return { status: 'none', signer: null, signerMatchesFrom: false, created: null };
  const matches = (v: Verification) => {
    const signer = 'signer' in v ? v.signer : null;
    if (!signer || senders.length === 0) return false;
    const addresses = signer.userIds.map(addressOfUserId).filter((a): a is string => a !== null);
    return senders.every((s) => addresses.some((a) => sameAddress(a, s.address)));
  };
  const best = [...verifications].sort((a, b) => RANK[a.status] - RANK[b.status] || Number(matches(b)) - Number(matches(a)))[0]!;
  const signer = 'signer' in best && best.signer ? { fingerprint: best.signer.fingerprint, userIds: best.signer.userIds } : null;
  return { status: best.status, signer, signerMatchesFrom: matches(best), created: best.created };
}
