/**
 * The store's rows as the app's views (app/mail.ts): what the renderer is
 * shown of accounts, folders, message lists, drafts and the outbox, and
 * nothing more (no password, no raw message, no CA).
 */
import type { AccountView, DraftSummary, FolderView, MessageItem, OutboxEntry } from '../../app/mail.ts';
import { accountSummary, type Account } from '../accounts/accounts.ts';
import type { DraftItem } from '../store/drafts.ts';
import type { FolderRow } from '../store/folders.ts';
import type { MessageSummary } from '../store/messages.ts';
import type { OutboxItem } from '../store/outbox.ts';

export function accountView(account: Account): AccountView {
  const s = accountSummary(account);
  return {
    id: s.id,
    email: s.email,
    displayName: s.displayName,
    imap: s.imap,
    smtp: s.smtp,
    user: s.user,
    customCa: s.customCa,
    passwordSource: s.password,
  };
}

export function folderView(f: FolderRow): FolderView {
  return {
    id: f.id,
    accountId: f.accountId,
    path: f.path,
    role: f.role,
    unread: f.unreadCount,
    total: f.totalCount,
    lastSyncAt: f.lastSyncAt,
  };
}

export function messageItem(m: MessageSummary): MessageItem {
  return {
    folderId: m.folderId,
    uid: m.uid,
    messageId: m.messageId,
    from: m.from,
    to: m.to,
    cc: m.cc,
    subject: m.subject,
    date: m.date ?? m.internalDate,
    flags: m.flags,
    security: m.security,
    size: m.size,
  };
}

export function draftSummary(item: DraftItem): DraftSummary {
  return {
    id: item.id,
    accountId: item.accountId,
    encrypted: item.encrypted,
    revision: item.revision,
    updatedAt: item.updatedAt,
    unsaved: item.unsaved,
  };
}

export function outboxEntry(item: OutboxItem): OutboxEntry {
  return {
    id: item.id,
    accountId: item.accountId,
    messageId: item.messageId,
    to: item.envelope.to,
    state: item.state,
    attempts: item.attempts,
    lastError: item.lastError,
    nextAttemptAt: item.nextAttemptAt,
    createdAt: item.createdAt,
    sentAt: item.sentAt,
  };
}
