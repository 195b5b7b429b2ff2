import { z } from 'zod';

/**
 * What a message is, security-wise: the reader view and `sealpost inspect`
 * show the same value. Top-level statuses speak of the whole message only.
 */
export const Address = z.object({ name: z.string(), address: z.string() });
export type Address = z.infer<typeof Address>;

export const PartStatus = z.enum(['plain', 'decrypted', 'not-decrypted', 'verified', 'bad-signature']);

export const InspectReport = z.object({
  from: Address.nullable(),
  to: z.array(Address),
  cc: z.array(Address),
  date: z.string().nullable(),
  messageId: z.string().nullable(),
  subject: z.string(),
  outerSubject: z.string(),
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
