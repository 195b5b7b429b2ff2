import { z } from 'zod';
import { AppErrorSchema, ErrorCodeSchema } from '../errors.ts';
import { AddressState, Fingerprint, KeySummary, Trust } from '../keys.ts';
import {
  AccountView,
  DraftSummary,
  FolderView,
  MESSAGE_ACTIONS,
  MessageItem,
  MessageView,
  OutboxEntry,
  RecipientKey,
  ServerGuess,
  Settings,
  SyncProgress,
  SyncSummary,
} from '../mail.ts';
import type { Result } from '../result.ts';
import { SETUP_CODE_FORMAT } from '../setup-code.ts';
import { CALL_CHANNEL, EVENT_CHANNEL, EVENT_NAMES, isEventName, type EventName } from './channels.ts';

export { CALL_CHANNEL, EVENT_CHANNEL, EVENT_NAMES, isEventName, type EventName };

/**
 * The renderer-to-main contract: every procedure the renderer may call, with
 * its input and output schema, and every event main may send.
 *
 * The renderer is treated as untrusted: inputs are strict objects (an
 * unknown key is an error, not something silently dropped) with a cap on
 * every string, array and byte buffer. Outputs are validated too, with
 * non-strict schemas that strip anything not named here, so a handler can
 * never hand the renderer more than the contract says (above all: never
 * secret key material).
 *
 * The same contract serves Electron IPC, the command line and the test
 * WebSocket bridge (one dispatcher, main/ipc/dispatcher.ts).
 */

/** Largest key file the renderer may hand over for import. */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;

/** A key given by fingerprint, key id or e-mail address (as on the command line). */
const Query = z.string().trim().min(1).max(512);

/** A user id's name part: one line, no angle brackets (they delimit the address). */
const PersonName = z
  .string()
  .trim()
  .min(1)
  .max(256)
  .regex(/^[^<>\p{Cc}]+$/u, 'a name is one line without < or >');

/** Deliberately loose (international addresses are valid): one @, no spaces, no brackets. */
const Email = z
  .string()
  .trim()
  .min(3)
  .max(320)
  .regex(/^[^\s@<>]+@[^\s@<>]+$/u, 'not an e-mail address');

const Passphrase = z.string().min(1).max(4096);

const KeyBytes = z
  .custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes')
  .refine((b) => b.byteLength > 0, 'the file is empty')
  .refine((b) => b.byteLength <= MAX_IMPORT_BYTES, `at most ${MAX_IMPORT_BYTES / (1024 * 1024)} MiB`);

const Empty = z.strictObject({});

/** A key that was not imported, and why: a registry code (a removed or misspelt code does not compile where one is made). */
const ImportProblem = z.object({ code: ErrorCodeSchema, message: z.string().max(1024) });

const AccountId = z.string().min(1).max(64);
const FolderId = z.number().int().positive();
/** An IMAP UID (RFC 9051: a non-zero 32-bit number), as a decimal string. */
const Uid = z.string().regex(/^[1-9][0-9]{0,9}$/, 'not a UID');
const FolderPath = z
  .string()
  .min(1)
  .max(1000)
  .regex(/^[^\0\r\n]+$/, 'a folder name is one line');
const ServerUrl = z.string().trim().min(1).max(512);
const Password = z.string().min(1).max(4096);
const CaPem = z
  .string()
  .min(1)
  .max(256 * 1024);
/** Largest message the renderer may hand over for sending (attachments included). */
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const MailAddress = z.strictObject({ name: z.string().max(256).default(''), address: Email });
const Attachment = z.strictObject({
  filename: z.string().min(1).max(255),
  contentType: z
    .string()
    .min(3)
    .max(255)
    .regex(/^[\w.+-]+\/[\w.+-]+$/, 'not a media type'),
  content: z
    .custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes')
    .refine((b) => b.byteLength <= MAX_MESSAGE_BYTES, 'too large'),
});
const OutgoingDraft = z.strictObject({
  from: MailAddress,
  to: z.array(MailAddress).max(1000),
  cc: z.array(MailAddress).max(1000).default([]),
  bcc: z.array(MailAddress).max(1000).default([]),
  subject: z.string().max(2000).default(''),
  text: z.string().max(MAX_MESSAGE_BYTES).default(''),
  attachments: z.array(Attachment).max(100).default([]),
  inReplyTo: z.string().max(1000).optional(),
  references: z.array(z.string().max(1000)).max(100).optional(),
});

export const procedures = {
  'keys.list': {
    input: z.strictObject({ secret: z.boolean().optional() }),
    output: z.array(KeySummary),
  },
  'keys.show': {
    input: z.strictObject({ query: Query }),
    output: KeySummary,
  },
  'keys.import': {
    input: z.strictObject({ data: KeyBytes, source: z.literal('file') }),
    output: z.object({ changed: z.array(KeySummary), problems: z.array(ImportProblem) }),
  },
  'keys.generate': {
    input: z.strictObject({
      name: PersonName,
      email: Email,
      algo: z.enum(['curve25519', 'rsa4096']).default('curve25519'),
      /** Up to 100 years; null: does not expire. */
      expiresInSeconds: z
        .number()
        .int()
        .positive()
        .max(100 * 366 * 86_400)
        .nullable(),
      /** null: the secret key is stored without a passphrase. */
      passphrase: Passphrase.nullable(),
    }),
    output: KeySummary,
  },
  'keys.export': {
    /** Public keys only: secret key material never goes to the renderer. */
    input: z.strictObject({ query: Query, secret: z.literal(false).default(false), minimal: z.boolean().default(false) }),
    output: z.object({ armored: z.string().max(16 * 1024 * 1024) }),
  },
  'keys.trust': {
    input: z.strictObject({ fingerprint: Fingerprint, trust: Trust }),
    output: KeySummary,
  },
  /** Every key seen for an address, and the one in use (trust on first use). */
  'keys.history': { input: z.strictObject({ address: Email }), output: AddressState },
  /** After a key change: the key to use for the address from now on. */
  'keys.accept': { input: z.strictObject({ address: Email, fingerprint: Fingerprint }), output: AddressState },
  'accounts.list': { input: Empty, output: z.array(AccountView) },
  'accounts.add': {
    /** Saved only after both servers accepted the login. */
    input: z.strictObject({
      email: Email,
      displayName: z.string().max(200).optional(),
      imap: ServerUrl,
      smtp: ServerUrl,
      user: z.string().min(1).max(256),
      password: Password,
      caPem: CaPem.nullable().optional(),
    }),
    output: AccountView,
  },
  'accounts.update': {
    input: z.strictObject({
      id: AccountId,
      email: Email.optional(),
      displayName: z.string().max(200).optional(),
      imap: ServerUrl.optional(),
      smtp: ServerUrl.optional(),
      user: z.string().min(1).max(256).optional(),
      password: Password.optional(),
      caPem: CaPem.nullable().optional(),
    }),
    output: AccountView,
  },
  'accounts.remove': { input: z.strictObject({ id: AccountId, force: z.boolean().default(false) }), output: Empty },
  'mail.folders': { input: z.strictObject({ accountId: AccountId }), output: z.array(FolderView) },
  'mail.messages': {
    input: z.strictObject({
      folderId: FolderId,
      offset: z.number().int().nonnegative().max(10_000_000).default(0),
      limit: z.number().int().positive().max(5000).default(500),
    }),
    output: z.object({ total: z.number().int(), items: z.array(MessageItem) }),
  },
  'mail.read': { input: z.strictObject({ folderId: FolderId, uid: Uid }), output: MessageView },
  /** The folder the user has open, kept current by IDLE; null: none. */
  'mail.watch': { input: z.strictObject({ folderId: FolderId.nullable() }), output: Empty },
  'mail.sync': { input: z.strictObject({ accountId: AccountId, folder: FolderPath.optional() }), output: SyncSummary },
  'mail.action': {
    input: z.strictObject({
      accountId: AccountId,
      kind: z.enum(MESSAGE_ACTIONS),
      folder: FolderPath,
      uids: z.array(Uid).min(1).max(10_000),
      to: FolderPath.optional(),
    }),
    output: z.object({ changed: z.number().int() }),
  },
  'mail.send': {
    input: z.strictObject({ accountId: AccountId, draft: OutgoingDraft, encrypt: z.boolean(), sign: z.boolean() }),
    output: OutboxEntry,
  },
  'outbox.list': { input: z.strictObject({ accountId: AccountId.optional() }), output: z.array(OutboxEntry) },
  'outbox.retry': { input: z.strictObject({ id: z.number().int().positive() }), output: OutboxEntry },
  'outbox.cancel': { input: z.strictObject({ id: z.number().int().positive() }), output: Empty },
  /**
   * The reader's HTML frame: the document the renderer made of the message's
   * HTML (after DOMPurify), served by main at the returned URL with a policy
   * of its own, for an `<iframe sandbox>` (a srcdoc frame would inherit the
   * app page's policy). `remoteUrls`: the remote references the sanitizer
   * kept with the user's consent, the only ones the frame's session lets it
   * load (main/services/frame-requests.ts).
   */
  'mail.frame': {
    input: z.strictObject({
      document: z.string().max(8 * 1024 * 1024),
      allowRemote: z.boolean(),
      remoteUrls: z.array(z.string().max(8192)).max(2000).optional(),
    }),
    output: z.object({ url: z.string() }),
  },
  /** An attachment's bytes (decrypted when protected), for a forward: the renderer shows decrypted content anyway. */
  'mail.attachment': {
    input: z.strictObject({ folderId: FolderId, uid: Uid, index: z.number().int().nonnegative().max(1000) }),
    output: z.object({
      filename: z.string().max(1000),
      contentType: z.string().max(255),
      content: z
        .custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes')
        .refine((b) => b.byteLength <= MAX_MESSAGE_BYTES, 'too large'),
    }),
  },
  /** An attachment of the message, saved where the user picks in a save dialog (main shows it); false when cancelled. */
  'mail.saveAttachment': {
    input: z.strictObject({ folderId: FolderId, uid: Uid, index: z.number().int().nonnegative().max(1000) }),
    output: z.object({ saved: z.boolean() }),
  },
  /** Keys attached to the message or in its Autocrypt headers, imported (only those the report lists). */
  'mail.importKeys': {
    input: z.strictObject({ folderId: FolderId, uid: Uid, fingerprints: z.array(Fingerprint).min(1).max(100) }),
    output: z.object({ changed: z.array(KeySummary), problems: z.array(ImportProblem) }),
  },
  /** The key state of each recipient, for the composer's per-recipient marks and the encryption default. */
  'compose.recipients': { input: z.strictObject({ addresses: z.array(Email).max(1000) }), output: z.array(RecipientKey) },
  'drafts.save': {
    input: z.strictObject({
      accountId: AccountId,
      id: z.number().int().positive().optional(),
      draft: OutgoingDraft.extend({ to: z.array(MailAddress).max(1000).default([]) }),
      encrypt: z.boolean(),
    }),
    output: DraftSummary,
  },
  'drafts.list': { input: z.strictObject({ accountId: AccountId }), output: z.array(DraftSummary) },
  'drafts.load': {
    input: z.strictObject({ id: z.number().int().positive() }),
    output: z.object({ summary: DraftSummary, draft: OutgoingDraft.extend({ to: z.array(MailAddress).max(1000) }) }),
  },
  'drafts.delete': { input: z.strictObject({ id: z.number().int().positive() }), output: Empty },
  /** Server settings guessed from the address's domain, for the first-run form. */
  'accounts.guess': { input: z.strictObject({ email: Email }), output: ServerGuess },
  'settings.get': { input: Empty, output: Settings },
  'settings.set': { input: Settings.partial().strict(), output: Settings },
  'keys.delete': { input: z.strictObject({ fingerprint: Fingerprint, secret: z.boolean().default(false) }), output: Empty },
  'keys.revoke': {
    input: z.strictObject({
      fingerprint: Fingerprint,
      reason: z.string().max(500).nullable().default(null),
      passphrase: Passphrase.nullable().default(null),
    }),
    output: KeySummary,
  },
  'keys.expire': {
    input: z.strictObject({
      fingerprint: Fingerprint,
      expiresInSeconds: z
        .number()
        .int()
        .positive()
        .max(100 * 366 * 86_400)
        .nullable(),
      passphrase: Passphrase.nullable().default(null),
    }),
    output: KeySummary,
  },
  'keys.passwd': {
    input: z.strictObject({ fingerprint: Fingerprint, oldPassphrase: Passphrase.nullable(), newPassphrase: Passphrase.nullable() }),
    output: KeySummary,
  },
  /**
   * Web Key Directory and keyserver, for one address; imports only with `import`. `onAdd` is the composer's lookup
   * of a recipient as they are added: the network sources only, each request within a few seconds, and nothing
   * imported when the sources name different keys (the user then sees them all in the no-key prompt).
   * `offline`: every network source was out of reach; `disagreement`: the keys found, with who named each, when
   * the sources do not agree.
   */
  'keys.lookup': {
    input: z.strictObject({ email: Email, import: z.boolean().default(false), onAdd: z.boolean().default(false) }),
    output: z.object({
      found: z.array(z.object({ source: z.string().max(32), keys: z.array(KeySummary), error: z.string().max(1024).nullable() })),
      imported: z.array(KeySummary),
      offline: z.boolean(),
      disagreement: z.array(z.object({ fingerprint: Fingerprint, from: z.array(z.string().max(600)) })).nullable(),
    }),
  },
  /**
   * Keys refreshed from their own sources (WKD, VKS, HKP), one after the other: the named ones (fingerprints
   * or addresses), or every key in use not refreshed in the last 24 hours. What changed per key and source.
   */
  'keys.refresh': {
    input: z.strictObject({ keys: z.array(z.string().min(1).max(512)).max(1000).default([]) }),
    output: z.array(
      z.object({
        fingerprint: z.string(),
        source: z.enum(['wkd', 'vks', 'hkp']),
        server: z.string().max(512).optional(),
        changes: z.array(z.enum(['revoked', 'expiry', 'subkeys', 'user-ids'])),
        error: z.object({ code: ErrorCodeSchema, message: z.string().max(1024) }).optional(),
      }),
    ),
  },
  /** The protected secret key and its revocation certificate, written where the user picks in a save dialog (main shows it; nothing secret reaches the renderer). */
  'keys.backup': { input: z.strictObject({ fingerprint: Fingerprint }), output: z.object({ saved: z.boolean() }) },
  /**
   * The revocation certificate made with the key, written where the user picks: kept apart from the
   * backup, so that importing the backup never revokes the key. `available` is false when there is none.
   */
  'keys.saveRevocation': {
    input: z.strictObject({ fingerprint: Fingerprint }),
    output: z.object({ saved: z.boolean(), available: z.boolean() }),
  },
  /**
   * An Autocrypt Setup Message for an own secret key, saved where the user picks (main shows the dialog; the key
   * travels encrypted with the Setup Code and never reaches the renderer). `code` is the Setup Code to show, null
   * when the user cancelled the dialog (then nothing was made that could need it).
   */
  'keys.setupMessage.create': {
    input: z.strictObject({ fingerprint: Fingerprint, passphrase: Passphrase.nullable().default(null) }),
    output: z.object({ saved: z.boolean(), code: z.string().regex(SETUP_CODE_FORMAT).nullable() }),
  },
  /** Imports the secret key of an Autocrypt Setup Message file with its Setup Code, protected with `passphrase` (none when null). */
  'keys.setupMessage.import': {
    input: z.strictObject({ data: KeyBytes, code: z.string().min(1).max(512), passphrase: Passphrase.nullable().default(null) }),
    output: z.object({ changed: z.array(KeySummary), problems: z.array(ImportProblem) }),
  },
  /** Unlocks a secret key in the keyring for the settings' time (the passphrase goes to the keyring and nowhere else). */
  'session.unlock': {
    input: z.strictObject({ fingerprint: Fingerprint, passphrase: Passphrase }),
    output: z.object({ expiresAt: z.number() }),
  },
  'session.lock': {
    /** One key, or every unlocked key when no fingerprint is given. */
    input: z.strictObject({ fingerprint: Fingerprint.optional() }),
    output: Empty,
  },
} as const;

export type ProcedureName = keyof typeof procedures;
/** What the caller sends (defaults not yet applied). */
export type ProcedureInput<P extends ProcedureName> = z.input<(typeof procedures)[P]['input']>;
/** What a handler receives (validated, defaults applied). */
export type ProcedureParams<P extends ProcedureName> = z.output<(typeof procedures)[P]['input']>;
/** What the caller receives. */
export type ProcedureOutput<P extends ProcedureName> = z.output<(typeof procedures)[P]['output']>;

export function isProcedureName(name: unknown): name is ProcedureName {
  return typeof name === 'string' && Object.hasOwn(procedures, name);
}

/** Main-to-renderer events and their payloads. */
export const events = {
  /** Keys were added or changed; the fingerprints that changed (empty: reload everything). */
  'keyring.changed': z.strictObject({ fingerprints: z.array(Fingerprint).max(10_000) }),
  /** Unlocked keys were locked (by the user, or when the screen locked or the system suspended). */
  'session.locked': Empty,
  /** A sync's progress: per phase, and per folder the messages stored so far. */
  'sync.progress': SyncProgress,
  /** Folders of the account changed in the store (a sync, an action): reload those lists. */
  'mail.changed': z.strictObject({ accountId: AccountId, folderIds: z.array(FolderId).max(10_000) }),
  /** The account's outbox changed (queued, sent, failed). */
  'outbox.changed': z.strictObject({ accountId: AccountId }),
  /** New unread mail arrived in an inbox (a sync or IDLE); main also shows a desktop notification when the settings allow. */
  'mail.arrived': z.strictObject({
    accountId: AccountId,
    folderId: FolderId,
    count: z.number().int().positive(),
    /** The newest one, as the list shows it (the outer subject: "..." for mail with protected headers). */
    latest: z.strictObject({ from: z.string().max(400), subject: z.string().max(400) }).nullable(),
  }),
  /** Open the composer (a mailto: link the system handed to the app); attachment parameters are never taken. */
  'compose.open': z.strictObject({
    to: z.array(z.string().max(320)).max(100),
    cc: z.array(z.string().max(320)).max(100),
    bcc: z.array(z.string().max(320)).max(100),
    subject: z.string().max(2000),
    body: z.string().max(100_000),
  }),
} as const satisfies Record<EventName, z.ZodType>;

// Every event named in channels.ts has a schema, and no schema is unnamed there.
type _EventsMatch = [EventName] extends [keyof typeof events] ? ([keyof typeof events] extends [EventName] ? true : never) : never;
const _eventsMatch: _EventsMatch = true;
void _eventsMatch;

export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

/**
 * The error of a failed call as it arrives from main: a registry code and
 * details of that code's shape. The dispatcher checks it on the way out and
 * the renderer's bridge on the way in, before any screen reads the details.
 */
export const CallError = AppErrorSchema;
export type { AppError } from '../errors.ts';

/** What the preload exposes as `window.sealpost`: `call` and `on`, nothing else. */
export interface SealpostBridge {
  call<P extends ProcedureName>(procedure: P, input: ProcedureInput<P>): Promise<Result<ProcedureOutput<P>>>;
  /** Subscribe to an event; returns the function that unsubscribes. */
  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void;
}
