import { z } from 'zod';

/** The user's acceptance of a correspondent's key. */
export const Trust = z.enum(['unverified', 'verified', 'rejected']);
export type Trust = z.infer<typeof Trust>;

/** Where the keyring learned a key from. */
export const KeySource = z.enum(['file', 'wkd', 'keyserver', 'autocrypt', 'attachment', 'generated']);
export type KeySource = z.infer<typeof KeySource>;

export const Fingerprint = z.string().regex(/^[0-9A-F]{40}$|^[0-9A-F]{64}$/);

export const SubkeySummary = z.object({
  fingerprint: z.string(),
  keyId: z.string(),
  algorithm: z.string(),
  created: z.string(),
  expires: z.string().nullable(),
  revoked: z.boolean(),
  canEncrypt: z.boolean(),
  canSign: z.boolean(),
  hasSecret: z.boolean(),
});
export type SubkeySummary = z.infer<typeof SubkeySummary>;

/** The public face of a key (command-line contract, `KeySummary`). */
export const KeySummary = z.object({
  fingerprint: z.string(),
  keyId: z.string(),
  userIds: z.array(z.string()),
  emails: z.array(z.string()),
  hasSecret: z.boolean(),
  algorithm: z.string(),
  version: z.number().int(),
  created: z.string(),
  expires: z.string().nullable(),
  revoked: z.boolean(),
  canEncrypt: z.boolean(),
  canSign: z.boolean(),
  trust: Trust,
  sources: z.array(KeySource),
  subkeys: z.array(SubkeySummary).optional(),
});
export type KeySummary = z.infer<typeof KeySummary>;

/** What the keyring keeps about a key beside the OpenPGP data (keyring/…/meta.json). */
export const EntryMeta = z.object({
  trust: Trust,
  sources: z.array(KeySource),
  added: z.string(),
  /** Made at key generation; applying it revokes the key without its passphrase. */
  revocationCertificate: z.string().optional(),
});
export type EntryMeta = z.infer<typeof EntryMeta>;

export const KeyringMetaFile = z.object({
  version: z.literal(1),
  keys: z.record(z.string(), EntryMeta),
});
export type KeyringMetaFile = z.infer<typeof KeyringMetaFile>;
