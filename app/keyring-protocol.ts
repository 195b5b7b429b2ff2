import { z } from 'zod';
import { AppErrorSchema, ErrorCodeSchema } from './errors.ts';
import { AddressState, KeySummary, KeySource, PeerState, Trust } from './keys.ts';
import { DecryptResult, VerifyResult } from './crypto.ts';
import { SETUP_CODE_FORMAT } from './setup-code.ts';

/**
 * The contract between the main process (or the command line) and the
 * keyring process, over a MessagePort. Both sides import it; the keyring
 * validates every request, the client every answer.
 *
 * Unary methods answer once. Stream methods take input chunks and give output
 * chunks with credit-based flow control (at most `STREAM_WINDOW` chunks in
 * flight each way), then one final result.
 */
export const STREAM_WINDOW = 16;
export const MAX_CHUNK = 1 << 20;

const Bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes');
const Text = z.string().max(1 << 16);
const Passphrase = z.string().max(4096);
const Query = z.string().min(1).max(512);

export const KeyRefs = z.strictObject({
  refs: z.array(Query).max(1000).default([]),
  material: z.array(Bytes).max(1000).default([]),
});
const NoRefs = { refs: [], material: [] };

export const unaryMethods = {
  'keys.list': { params: z.strictObject({ secret: z.boolean().default(false) }), result: z.array(KeySummary) },
  'keys.show': { params: z.strictObject({ query: Query }), result: KeySummary },
  'keys.import': {
    params: z.strictObject({ data: Bytes, source: KeySource }),
    result: z.object({ changed: z.array(KeySummary), problems: z.array(z.object({ code: ErrorCodeSchema, message: z.string() })) }),
  },
  /** What key material holds, without storing anything (keys found by discovery, attached keys). */
  'keys.inspect': {
    params: z.strictObject({ data: Bytes, source: KeySource }),
    result: z.object({ keys: z.array(KeySummary), problems: z.array(z.object({ code: ErrorCodeSchema, message: z.string() })) }),
  },
  'keys.export': {
    params: z.strictObject({
      query: Query,
      secret: z.boolean().default(false),
      minimal: z.boolean().default(false),
      /** Only the user ids with this address (a Web Key Directory file); public export only. */
      onlyUserIdsOf: z.string().min(3).max(320).optional(),
    }),
    result: z.object({ armored: z.string() }),
  },
  'keys.delete': { params: z.strictObject({ fingerprint: Query, secret: z.boolean().default(false) }), result: z.object({}) },
  'keys.trust': {
    params: z.strictObject({ fingerprint: Query, trust: Trust, how: z.enum(['fingerprint', 'command-line']).default('command-line') }),
    result: KeySummary,
  },
  'keys.generate': {
    params: z.strictObject({
      name: Text,
      email: z.string().min(3).max(320),
      algo: z.enum(['curve25519', 'rsa4096']).default('curve25519'),
      expiresInSeconds: z.number().int().positive().nullable(),
      passphrase: Passphrase.nullable(),
    }),
    result: KeySummary,
  },
  'keys.revoke': {
    params: z.strictObject({ fingerprint: Query, reason: Text.nullable(), passphrase: Passphrase.nullable() }),
    result: KeySummary,
  },
  'keys.expire': {
    params: z.strictObject({
      fingerprint: Query,
      expiresInSeconds: z.number().int().positive().nullable(),
      passphrase: Passphrase.nullable(),
    }),
    result: KeySummary,
  },
  'keys.passwd': {
    params: z.strictObject({ fingerprint: Query, oldPassphrase: Passphrase.nullable(), newPassphrase: Passphrase.nullable() }),
    result: KeySummary,
  },
  /** The revocation certificate kept since the key was generated, for the user's backup (a public artefact: it can only revoke). */
  'keys.revocationCertificate': { params: z.strictObject({ fingerprint: Query }), result: z.object({ armored: z.string().nullable() }) },
  'keys.addUserId': {
    params: z.strictObject({ fingerprint: Query, userId: Text, passphrase: Passphrase.nullable() }),
    result: KeySummary,
  },
  /** The keys that carry an address and the one accepted for it (trust on first use). */
  'keys.addressState': { params: z.strictObject({ address: Query }), result: AddressState },
  /** The key to use for an address from now on (after a key change). */
  'keys.accept': { params: z.strictObject({ address: Query, fingerprint: Query }), result: AddressState },
  /** When each key was last refreshed from its sources (fingerprint -> ISO 8601); keys never refreshed are absent. */
  'keys.refreshTimes': { params: z.strictObject({}), result: z.record(z.string(), z.string()) },
  /** Record that keys were refreshed (asked of their sources) now, whatever the sources answered. */
  'keys.markRefreshed': {
    params: z.strictObject({ fingerprints: z.array(Query).max(10_000), at: z.iso.datetime({ offset: true }) }),
    result: z.object({}),
  },
  /** What one message said of its sender and others by Autocrypt (Level 1 peer state), and the keys it vouches for. */
  'autocrypt.seen': {
    params: z.strictObject({
      address: Query,
      date: z.iso.datetime({ offset: true }),
      header: z.strictObject({ data: Bytes, preferEncrypt: z.enum(['mutual', 'nopreference']), import: z.boolean() }).nullable(),
      gossip: z.array(z.strictObject({ address: Query, data: Bytes })).max(100),
    }),
    result: z.object({ peer: PeerState.nullable(), imported: z.array(z.string()) }),
  },
  /** An Autocrypt Setup Message payload for a secret key: the key, unlocked with `passphrase`, encrypted with a fresh Setup Code. */
  'keys.setupMessage.create': {
    params: z.strictObject({
      fingerprint: Query,
      passphrase: Passphrase.nullable(),
      preferEncrypt: z.enum(['mutual', 'nopreference']).default('nopreference'),
    }),
    result: z.object({ armored: z.string(), code: z.string().regex(SETUP_CODE_FORMAT) }),
  },
  /** Opens an Autocrypt Setup Message payload with its Setup Code and imports the key, protected with `passphrase` (none when null). */
  'keys.setupMessage.import': {
    params: z.strictObject({ armored: z.string().max(4 * 1024 * 1024), code: z.string().max(512), passphrase: Passphrase.nullable() }),
    result: z.object({
      changed: z.array(KeySummary),
      problems: z.array(z.object({ code: ErrorCodeSchema, message: z.string() })),
      preferEncrypt: z.enum(['mutual', 'nopreference']).nullable(),
    }),
  },
  'session.unlock': {
    params: z.strictObject({ fingerprint: Query, passphrase: Passphrase, ttlSeconds: z.number().int().positive().max(86_400).optional() }),
    result: z.object({ fingerprint: z.string(), expiresAt: z.number() }),
  },
  'session.lock': { params: z.strictObject({ fingerprint: Query.optional() }), result: z.object({}) },
  'session.list': { params: z.strictObject({}), result: z.array(z.object({ fingerprint: z.string(), expiresAt: z.number() })) },
  'sop.generateKey': {
    params: z.strictObject({
      userIds: z.array(Text).max(100),
      algo: z.enum(['curve25519', 'rsa4096']).default('curve25519'),
      passphrase: Passphrase.nullable(),
      armor: z.boolean(),
    }),
    result: z.object({ key: Bytes }),
  },
  'keyring.info': { params: z.strictObject({}), result: z.object({ backend: z.string() }) },
  'sop.extractCert': { params: z.strictObject({ key: Bytes, armor: z.boolean() }), result: z.object({ cert: Bytes }) },
} as const;

export const streamMethods = {
  'crypto.encrypt': {
    params: z.strictObject({
      recipients: KeyRefs.default(NoRefs),
      signers: KeyRefs.default(NoRefs),
      keyPasswords: z.array(Passphrase).max(100).default([]),
      passwords: z.array(Passphrase).max(100).default([]),
      armor: z.boolean().default(true),
      literal: z.enum(['binary', 'text']).default('binary'),
      /** Also encrypt to each signer's own certificate, so that the sender can read the Sent and Drafts copies. */
      encryptToSigners: z.boolean().default(false),
    }),
    result: z.object({ recipients: z.array(z.string()) }),
  },
  'crypto.sign': {
    params: z.strictObject({
      mode: z.enum(['detached', 'inline', 'cleartext']),
      signers: KeyRefs,
      keyPasswords: z.array(Passphrase).max(100).default([]),
      armor: z.boolean().default(true),
      literal: z.enum(['binary', 'text']).default('binary'),
    }),
    result: z.object({ micalg: z.string() }),
  },
  'crypto.decrypt': {
    params: z.strictObject({
      keys: KeyRefs.default(NoRefs),
      useStoredKeys: z.boolean().default(false),
      keyPasswords: z.array(Passphrase).max(100).default([]),
      passwords: z.array(Passphrase).max(100).default([]),
      sessionKeys: z.array(z.string().max(1024)).max(100).default([]),
      verifyWith: KeyRefs.default(NoRefs),
      useStoredCerts: z.boolean().default(false),
      maxOutputBytes: z
        .number()
        .int()
        .positive()
        .default(1 << 30),
      wantSessionKey: z.boolean().default(false),
    }),
    result: DecryptResult,
  },
  'crypto.verify': {
    params: z.strictObject({
      signature: Bytes.nullable().default(null),
      verifyWith: KeyRefs.default(NoRefs),
      useStoredCerts: z.boolean().default(false),
      requireValid: z.boolean().default(false),
    }),
    result: VerifyResult,
  },
  'crypto.inlineDetach': { params: z.strictObject({ armor: z.boolean().default(true) }), result: z.object({ signatures: Bytes }) },
  'crypto.armor': { params: z.strictObject({}), result: z.object({}) },
  'crypto.dearmor': { params: z.strictObject({}), result: z.object({}) },
} as const;

export type UnaryMethod = keyof typeof unaryMethods;
export type StreamMethod = keyof typeof streamMethods;
export type UnaryParams<M extends UnaryMethod> = z.input<(typeof unaryMethods)[M]['params']>;
export type UnaryResult<M extends UnaryMethod> = z.output<(typeof unaryMethods)[M]['result']>;
export type StreamParams<M extends StreamMethod> = z.input<(typeof streamMethods)[M]['params']>;
export type StreamResult<M extends StreamMethod> = z.output<(typeof streamMethods)[M]['result']>;

const Id = z.number().int().nonnegative();

/** Client to keyring. */
export const ClientMessage = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('call'), id: Id, method: z.string().max(64), params: z.unknown() }),
  z.strictObject({ t: z.literal('data'), id: Id, chunk: Bytes.refine((b) => b.length <= MAX_CHUNK) }),
  z.strictObject({ t: z.literal('end'), id: Id }),
  z.strictObject({ t: z.literal('abort'), id: Id }),
  z.strictObject({ t: z.literal('ack'), id: Id }),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;

/** Keyring to client. */
export const HostMessage = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('data'), id: Id, chunk: Bytes }),
  z.strictObject({ t: z.literal('ack'), id: Id }),
  z.strictObject({
    t: z.literal('done'),
    id: Id,
    result: z.union([z.object({ ok: z.literal(true), value: z.unknown() }), z.object({ ok: z.literal(false), error: AppErrorSchema })]),
  }),
]);
export type HostMessage = z.infer<typeof HostMessage>;

/** The one shape every port has here: worker_threads, Electron's utilityProcess, the web's MessagePort are adapted to it. */
/**
 * A chunk as it goes over a port. Structured clone of a view copies the
 * whole underlying buffer, which for a Node Buffer slice can be far larger
 * than the chunk: a view is copied into a buffer of its own and that is
 * transferred. A chunk that already is a whole buffer of the sender's own
 * (`owned`) is transferred as it is; the sender must not touch it again.
 */
export function ownedChunk(chunk: Uint8Array, owned = false): { chunk: Uint8Array; transfer: ArrayBuffer[] } {
  const whole = chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer;
  if (owned && whole) return { chunk, transfer: [chunk.buffer] };
  const copy = new Uint8Array(chunk.length);
  copy.set(chunk);
  return { chunk: copy, transfer: [copy.buffer] };
}

export interface PortLike {
  postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(handler: (message: unknown) => void): void;
  close?(): void;
}

/** A readable line for a failed validation ("params.email: Too small"), or null when `error` is not one. */
export function validationMessage(error: unknown): string | null {
  if (!(error instanceof z.ZodError)) return null;
  const first = error.issues[0];
  return first ? `${first.path.join('.') || 'input'}: ${first.message}` : 'invalid input';
}

/** Electron's MessagePortMain, as far as the keyring protocol uses it (both ends: main and the utility process). */
export interface MessagePortMainLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
}

/**
 * A MessagePortMain as a PortLike. MessagePortMain transfers ports only:
 * buffers are copied (structured clone), which is correct, only slower.
 */
export function portFromMessagePortMain(port: MessagePortMainLike): PortLike {
  return {
    postMessage: (message) => port.postMessage(message),
    onMessage: (handler) => {
      port.on('message', (event) => handler(event.data));
      port.start();
    },
    close: () => port.close(),
  };
}
