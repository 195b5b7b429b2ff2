import { z } from 'zod';

/**
 * What a message is, security-wise: the reader view and `sealpost inspect`
 * show the same value. Top-level statuses speak of the whole message only.
 */
export const Address = z.object({ name: z.string(), address: z.string() });
export type Address = z.infer<typeof Address>;

export const PartStatus = z.enum(['plain', 'decrypted', 'not-decrypted', 'verified', 'bad-signature']);

export const InspectReport = z.object({
  /**
   * The header fields to show. When the decrypted (or signed) content carries protected header fields (RFC 9788,
   * and the older protected-headers="v1"), each of these is the protected one where the protected part has it:
   * From (with its display name), To, Cc, Date and Subject; otherwise the field as sent in the clear.
   */
  from: Address.nullable(),
  to: z.array(Address),
  cc: z.array(Address),
  /** ISO-8601, or null when the message has no Date that can be read. */
  date: z.string().nullable(),
  messageId: z.string().nullable(),
  subject: z.string(),
  /**
   * The header fields as sent in the clear, whatever is shown above: the outer Subject (often "..." when the real
   * one is protected), the first outer From, the outer To and Cc (a sender that hides its recipients writes an
   * empty group there) and the outer Date (which such a sender may move by days). The same shapes as the fields
   * shown; equal to them when the message has no protected header fields.
   */
  outerSubject: z.string(),
  outerFrom: Address.nullable(),
  outerTo: z.array(Address),
  outerCc: z.array(Address),
  outerDate: z.string().nullable(),
  encryption: z.object({
    status: z.enum(['none', 'decrypted', 'no-key', 'failed']),
    integrity: z.enum(['mdc', 'aead']).nullable(),
    recipients: z.array(z.string()),
    protectedHeaders: z.boolean(),
    /** With `no-key`: the fingerprints of the user's secret keys that would open it once unlocked. */
    lockedKeys: z.array(z.string()),
  }),
  signature: z.object({
    status: z.enum(['none', 'valid', 'invalid', 'unknown-key', 'expired-key', 'revoked-key']),
    signer: z.object({ fingerprint: z.string(), userIds: z.array(z.string()) }).nullable(),
    signerMatchesFrom: z.boolean(),
    created: z.string().nullable(),
  }),
  parts: z.array(z.object({ path: z.string(), contentType: z.string(), encrypted: z.boolean(), signed: z.boolean(), status: PartStatus })),
  text: z.string(),
  attachments: z.array(
    z.object({ filename: z.string(), contentType: z.string(), size: z.number(), sha256: z.string(), protected: z.boolean() }),
  ),
  keys: z.array(z.object({ fingerprint: z.string(), source: z.enum(['attachment', 'autocrypt', 'gossip']) })),
  warnings: z.array(z.object({ code: z.string(), message: z.string() })),
});
export type InspectReport = z.infer<typeof InspectReport>;
