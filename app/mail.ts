/**
 * Mail domain types that cross from main to the renderer: accounts without
 * secrets, folders, message list entries, outbox entries and sync progress.
 * JSON only: times in epoch ms, IMAP UIDs as strings (64-bit MODSEQ never
 * crosses; UIDs are strings for the same reason and to keep one form).
 */
import { z } from 'zod';
import { Address, InspectReport as InspectReportRef } from './inspect-report.ts';
import { ErrorCodeSchema } from './errors.ts';
import { KeySource } from './keys.ts';
import { Recommendation } from './autocrypt-recommendation.ts';

export const FOLDER_ROLES = ['inbox', 'sent', 'drafts', 'trash', 'junk', 'archive', 'all', 'flagged'] as const;
export const SECURITY_HINTS = ['encrypted', 'signed', 'none'] as const;
export const OUTBOX_STATES = ['queued', 'sending', 'sent', 'failed'] as const;
export const MESSAGE_ACTIONS = ['read', 'unread', 'flag', 'unflag', 'move', 'trash', 'archive'] as const;

export const AccountView = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  /** `imaps://host:993` and the like; never a password. */
  imap: z.string(),
  smtp: z.string(),
  user: z.string(),
  customCa: z.boolean(),
  /** `command`: the password is what a command prints each time (set with `sealpost account add --password-command`); nothing is stored. */
  passwordSource: z.enum(['stored', 'command']),
});
export type AccountView = z.infer<typeof AccountView>;

export const FolderView = z.object({
  id: z.number().int(),
  accountId: z.string(),
  path: z.string(),
  role: z.enum(FOLDER_ROLES).nullable(),
  unread: z.number().int(),
  total: z.number().int(),
  lastSyncAt: z.number().nullable(),
});
export type FolderView = z.infer<typeof FolderView>;

export const MessageItem = z.object({
  folderId: z.number().int(),
  uid: z.string(),
  messageId: z.string().nullable(),
  from: Address.nullable(),
  to: z.array(Address),
  cc: z.array(Address),
  /** The Subject as sent in the clear ("..." for mail with protected headers until it is opened). */
  subject: z.string(),
  date: z.number().nullable(),
  flags: z.array(z.string()),
  /** From the MIME structure only: nothing was decrypted or verified for the list. */
  security: z.enum(SECURITY_HINTS),
  size: z.number().nullable(),
});
export type MessageItem = z.infer<typeof MessageItem>;

export const OutboxEntry = z.object({
  id: z.number().int(),
  accountId: z.string(),
  messageId: z.string().nullable(),
  to: z.array(z.string()),
  state: z.enum(OUTBOX_STATES),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.number(),
  createdAt: z.number(),
  sentAt: z.number().nullable(),
});
export type OutboxEntry = z.infer<typeof OutboxEntry>;

/** What a sync did, for a summary line. */
export const SyncSummary = z.object({
  sent: z.number().int(),
  unsent: z.number().int(),
  actionsApplied: z.number().int(),
  folders: z.array(z.object({ path: z.string(), added: z.number().int(), removed: z.number().int(), flagsUpdated: z.number().int() })),
  problems: z.array(z.object({ what: z.string(), code: ErrorCodeSchema, message: z.string() })),
});
export type SyncSummary = z.infer<typeof SyncSummary>;

/** Progress of a sync, per phase and per folder (counts of messages stored so far). */
export const SyncProgress = z.strictObject({
  accountId: z.string(),
  phase: z.enum(['started', 'outbox', 'folders', 'folder', 'done', 'failed']),
  folder: z.string().max(1000).optional(),
  done: z.number().int().nonnegative().optional(),
  total: z.number().int().nonnegative().optional(),
  /** For `failed`: the error's registry code and text. */
  code: ErrorCodeSchema.optional(),
  message: z.string().max(1000).optional(),
});
export type SyncProgress = z.infer<typeof SyncProgress>;

/** The reader's view of one message: the security report, and the HTML of the content it speaks of (sanitized by the renderer, shown only in a sandboxed frame). */
export const MessageView = z.object({
  report: InspectReportRef,
  /** The HTML body of the content the report speaks of (decrypted or signed part), unsanitized; null when there is none. */
  html: z.string().nullable(),
  /**
   * Where each HTML part of the message starts in `html` (the first at 0):
   * the renderer sanitizes each part on its own, so that markup left open in
   * one cannot take in the next (EFAIL). Absent: `html` is one part.
   */
  htmlStarts: z.array(z.number().int().nonnegative()).max(100_000).optional(),
});

/** Key state of one recipient, for the composer. */
export const RecipientKeyState = z.enum(['verified', 'unverified', 'missing', 'rejected', 'expired', 'revoked', 'unusable', 'changed']);
export const RecipientKey = z.object({
  address: z.string(),
  /** `changed`: the key in use so far is not the only usable one any more; nothing is encrypted to either until the user chooses. */
  state: RecipientKeyState,
  /** The key the state speaks of; with `changed`, the new one. */
  fingerprint: z.string().nullable(),
  /** A user id of the key, for a tooltip. */
  userId: z.string().nullable(),
  /** With `changed`: the key in use so far (null when several came without one accepted), and whether the user had verified it. */
  /** Where the key the state speaks of came from (the chip says "via Autocrypt" or "via gossip"). */
  sources: z.array(KeySource).default([]),
  /** The Autocrypt Level 1 preliminary recommendation for this recipient (app/autocrypt-recommendation.ts). */
  recommendation: Recommendation.default('available'),
  /** The recipient's Autocrypt header said prefer-encrypt=mutual. */
  peerMutual: z.boolean().default(false),
  change: z
    .object({
      known: z.string().nullable(),
      knownVerified: z.boolean(),
      /** The owner's word for the change: the new key certified by the earlier one, or the earlier one revoked as superseded. */
      successor: z.enum(['certified', 'superseded']).nullable().default(null),
      /** Why the key used so far cannot be used any more (then keeping it is no choice); null while it can. */
      knownProblem: z.enum(['revoked', 'expired', 'rejected', 'unusable']).nullable().default(null),
    })
    .optional(),
});
export type RecipientKey = z.infer<typeof RecipientKey>;

export const DraftSummary = z.object({
  id: z.number().int(),
  accountId: z.string(),
  encrypted: z.boolean(),
  revision: z.number().int(),
  updatedAt: z.number(),
  unsaved: z.boolean(),
});
export type DraftSummary = z.infer<typeof DraftSummary>;

/** What the user chose in Settings (kept in the profile, `settings.json`). */
export const Settings = z.object({
  /** `when-possible`: encrypt whenever every recipient has a usable key (the default). */
  encrypt: z.enum(['when-possible', 'always', 'never']),
  sign: z.boolean(),
  /** How long an unlocked key stays unlocked. */
  unlockMinutes: z.number().int().min(1).max(1440),
  /** Remote content in HTML mail: asked per message, or never offered. */
  remoteContent: z.enum(['ask', 'never']),
  theme: z.enum(['system', 'light', 'dark']),
  notifications: z.boolean(),
  /**
   * The user's own Autocrypt `prefer-encrypt` (Autocrypt Level 1, sections 2.3 and 5.2): `mutual` is written into
   * our Autocrypt header and asks peers who said the same to encrypt by default; `nopreference` (the default) writes none.
   */
  preferEncrypt: z.enum(['nopreference', 'mutual']),
  /** Refresh correspondents' keys from their own sources (WKD, VKS, HKP) in the background, each at most daily. */
  keyRefresh: z.boolean(),
});
export type Settings = z.infer<typeof Settings>;
export const DEFAULT_SETTINGS: Settings = {
  encrypt: 'when-possible',
  sign: true,
  unlockMinutes: 30,
  remoteContent: 'ask',
  theme: 'system',
  notifications: true,
  preferEncrypt: 'nopreference',
  keyRefresh: true,
};

/** Server settings guessed from an address's domain (editable by the user before the connection test). */
export const ServerGuess = z.object({ imap: z.string(), smtp: z.string(), user: z.string(), known: z.boolean() });
export type ServerGuess = z.infer<typeof ServerGuess>;
export type MessageView = z.infer<typeof MessageView>;
