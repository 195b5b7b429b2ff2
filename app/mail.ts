/**
 * Mail domain types that cross from main to the renderer: accounts without
 * secrets, folders, message list entries, outbox entries and sync progress.
 * JSON only: times in epoch ms, IMAP UIDs as strings (64-bit MODSEQ never
 * crosses; UIDs are strings for the same reason and to keep one form).
 */
import { z } from 'zod';
import { Address } from './inspect-report.ts';

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
  problems: z.array(z.object({ what: z.string(), message: z.string() })),
});
export type SyncSummary = z.infer<typeof SyncSummary>;

/** Progress of a sync, per phase and per folder (counts of messages stored so far). */
export const SyncProgress = z.strictObject({
  accountId: z.string(),
  phase: z.enum(['started', 'outbox', 'folders', 'folder', 'done', 'failed']),
  folder: z.string().max(1000).optional(),
  done: z.number().int().nonnegative().optional(),
  total: z.number().int().nonnegative().optional(),
  /** For `failed`: the error's text. */
  message: z.string().max(1000).optional(),
});
export type SyncProgress = z.infer<typeof SyncProgress>;
