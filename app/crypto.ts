import { z } from 'zod';

/**
 * Expected crypto outcomes are values, not errors (design: "Contracts, errors, results").
 */
export const Signer = z.object({
  fingerprint: z.string(),
  /** The key (primary or subkey) that made the signature. */
  signingKeyFingerprint: z.string(),
  userIds: z.array(z.string()),
});
export type Signer = z.infer<typeof Signer>;

export const Verification = z.discriminatedUnion('status', [
  z.object({ status: z.literal('valid'), signer: Signer, created: z.string().nullable(), mode: z.enum(['binary', 'text']) }),
  z.object({
    status: z.literal('invalid'),
    keyId: z.string(),
    signer: Signer.nullable(),
    created: z.string().nullable(),
    reason: z.string(),
  }),
  z.object({ status: z.literal('unknown-key'), keyId: z.string(), created: z.string().nullable() }),
  z.object({ status: z.literal('expired-key'), keyId: z.string(), signer: Signer.nullable(), created: z.string().nullable() }),
  z.object({ status: z.literal('revoked-key'), keyId: z.string(), signer: Signer.nullable(), created: z.string().nullable() }),
]);
export type Verification = z.infer<typeof Verification>;

export const DecryptResult = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('decrypted'),
    integrity: z.enum(['mdc', 'aead']),
    recipients: z.array(z.string()),
    verifications: z.array(Verification),
    filename: z.string(),
    sessionKey: z.string().optional(),
  }),
  z.object({ status: z.literal('no-key'), recipients: z.array(z.string()) }),
  z.object({ status: z.literal('needs-passphrase'), recipients: z.array(z.string()), keys: z.array(z.string()) }),
  z.object({ status: z.literal('failed-integrity'), reason: z.enum(['no-integrity', 'modified']), detail: z.string() }),
  z.object({ status: z.literal('malformed'), detail: z.string() }),
  z.object({ status: z.literal('too-large'), limit: z.number() }),
]);
export type DecryptResult = z.infer<typeof DecryptResult>;

export const VerifyResult = z.object({ verifications: z.array(Verification) });
export type VerifyResult = z.infer<typeof VerifyResult>;
