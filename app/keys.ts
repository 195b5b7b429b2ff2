import { z } from 'zod';

/** The user's acceptance of a correspondent's key. */
export const Trust = z.enum(['unverified', 'verified', 'rejected']);
export type Trust = z.infer<typeof Trust>;

/** Where the keyring learned a key from. */
export const KeySource = z.enum(['file', 'wkd', 'keyserver', 'autocrypt', 'gossip', 'attachment', 'generated', 'setup-message']);
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

/** How and when the user verified a key: compared the fingerprint (in the app), or marked it on the command line. */
export const Verification = z.object({ at: z.string(), how: z.enum(['fingerprint', 'command-line']) });
export type Verification = z.infer<typeof Verification>;

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
  /** With trust `verified`: when and how (absent for keys verified before this was kept, and for others). */
  verification: Verification.optional(),
  subkeys: z.array(SubkeySummary).optional(),
});
export type KeySummary = z.infer<typeof KeySummary>;

/** What the keyring keeps about a key beside the OpenPGP data (keyring/…/meta.json). */
export const EntryMeta = z.object({
  trust: Trust,
  sources: z.array(KeySource),
  /** When the key was first seen (imported, found, generated): ISO 8601. */
  added: z.string(),
  /** When it was last seen again (imported once more, refreshed); absent: not since `added`. */
  lastSeen: z.string().optional(),
  verification: Verification.optional(),
  /** Made at key generation; applying it revokes the key without its passphrase. */
  revocationCertificate: z.string().optional(),
});
export type EntryMeta = z.infer<typeof EntryMeta>;

/**
 * How a key became the one in use for an address (trust on first use): the
 * first key seen for it, a key the user accepted after a key change, or one
 * the user verified.
 */
export const KeyAcceptance = z.object({
  fingerprint: Fingerprint,
  /** ISO 8601. Keys first seen after this moment are a key change until the user chooses again. */
  at: z.string(),
  how: z.enum(['first-seen', 'accepted', 'verified']),
});
export type KeyAcceptance = z.infer<typeof KeyAcceptance>;

/**
 * Autocrypt Level 1 peer state (autocrypt.org/level1.html, section 2.3):
 * times are the messages' effective dates (ISO 8601), keys are named by
 * fingerprint (the key data is in the keyring when it was imported).
 */
export const PeerState = z.object({
  lastSeen: z.string().nullable(),
  autocryptTimestamp: z.string().nullable(),
  fingerprint: Fingerprint.nullable(),
  preferEncrypt: z.enum(['mutual', 'nopreference']),
  gossipTimestamp: z.string().nullable(),
  gossipFingerprint: Fingerprint.nullable(),
});
export type PeerState = z.infer<typeof PeerState>;

/** What the keyring keeps about an address (keyed by its comparison form, app/address.ts). */
export const AddressMeta = z.object({
  accepted: KeyAcceptance.nullable(),
  autocrypt: PeerState.optional(),
});
export type AddressMeta = z.infer<typeof AddressMeta>;

export const KeyringMetaFile = z.object({
  version: z.literal(1),
  keys: z.record(z.string(), EntryMeta),
  /** Absent in keyrings written before addresses were kept. */
  addresses: z.record(z.string(), AddressMeta).default({}),
});

/** A key that carries an address, with when it was seen (`keys history`). */
export const AddressKey = KeySummary.extend({ firstSeen: z.string(), lastSeen: z.string() });
export type AddressKey = z.infer<typeof AddressKey>;

/** Everything the keyring knows of one address's keys: which one is accepted, and every key that carries it. */
export const AddressState = z.object({
  address: z.string(),
  accepted: KeyAcceptance.nullable(),
  keys: z.array(AddressKey),
  /** The Autocrypt peer state, when a message from the address was read. */
  autocrypt: PeerState.nullable().default(null),
});
export type AddressState = z.infer<typeof AddressState>;
export type KeyringMetaFile = z.infer<typeof KeyringMetaFile>;
