/**
 * The `messages` table: what the sync knows of each message in a folder,
 * keyed by (folder, UID). The raw message is fetched on demand and kept as
 * it lies on the server: an encrypted message stays ciphertext here; its
 * plaintext is never written by this module.
 */
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';
import type { Address } from '../../app/inspect-report.ts';
import { transaction } from './database.ts';
import { imapNumber, imapNumberOrNull, type ImapNumberInput } from './imap-ids.ts';
import { blobOrNull, int, intOrNull, json, jsonOrNull, oneOf, text, textOrNull, type Row } from './rows.ts';

import { SECURITY_HINTS } from '../../app/mail.ts';

export { SECURITY_HINTS };
/** What the MIME structure announces (multipart/encrypted, multipart/signed, inline armor), before any crypto ran. */
export type SecurityHint = (typeof SECURITY_HINTS)[number];

export interface MessageInput {
  uid: ImapNumberInput;
  modseq?: ImapNumberInput | null;
  messageId?: string | null;
  inReplyTo?: string | null;
  from?: Address | null;
  to?: readonly Address[];
  cc?: readonly Address[];
  /** The Subject header as sent in the clear (an encrypted message's real subject is not stored). */
  subject?: string;
  /** The Date header, epoch ms. */
  date?: number | null;
  /** The server's INTERNALDATE, epoch ms. */
  internalDate?: number | null;
  flags?: readonly string[];
  size?: number | null;
  security?: SecurityHint;
  /** The message as fetched; omitted or null keeps what is stored. */
  raw?: Uint8Array | null;
}

export interface MessageSummary {
  folderId: number;
  uid: string;
  modseq: string | null;
  messageId: string | null;
  inReplyTo: string | null;
  from: Address | null;
  to: Address[];
  cc: Address[];
  subject: string;
  date: number | null;
  internalDate: number | null;
  flags: string[];
  size: number | null;
  security: SecurityHint;
  /** Whether the raw message is in the store. */
  hasRaw: boolean;
}

export interface StoredMessage extends MessageSummary {
  raw: Uint8Array | null;
}

const SUMMARY_COLUMNS = `folder_id, uid, modseq, message_id, in_reply_to, from_addr, to_addrs, cc_addrs, subject, date,
  internal_date, flags, size, security, raw IS NOT NULL AS has_raw`;

function summaryFromRow(row: Row): MessageSummary {
  return {
    folderId: int(row, 'folder_id'),
    uid: text(row, 'uid'),
    modseq: textOrNull(row, 'modseq'),
    messageId: textOrNull(row, 'message_id'),
    inReplyTo: textOrNull(row, 'in_reply_to'),
    from: jsonOrNull<Address>(row, 'from_addr'),
    to: json<Address[]>(row, 'to_addrs'),
    cc: json<Address[]>(row, 'cc_addrs'),
    subject: text(row, 'subject'),
    date: intOrNull(row, 'date'),
    internalDate: intOrNull(row, 'internal_date'),
    flags: json<string[]>(row, 'flags'),
    size: intOrNull(row, 'size'),
    security: oneOf(row, 'security', SECURITY_HINTS),
    hasRaw: int(row, 'has_raw') === 1,
  };
}

function time(value: number | null | undefined, what: string): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isSafeInteger(value)) throw new SealpostError('bad-input', `${what} must be epoch milliseconds`);
  return value;
}

/** Flags as a sorted set, for a stable JSON form. */
export function normalizeFlags(flags: readonly string[]): string[] {
  for (const f of flags) {
    if (typeof f !== 'string' || f.length === 0 || f.length > 200 || /[\x00-\x20\x7f]/.test(f)) {
      throw new SealpostError('bad-input', 'not an IMAP flag');
    }
  }
  // \Recent belongs to one session (RFC 3501 section 2.3.2; gone from IMAP4rev2, RFC 9051): not a property of the message.
  return [...new Set(flags)].filter((f) => f.toLowerCase() !== '\\recent').sort();
}

function addresses(list: readonly Address[] | undefined): string {
  return JSON.stringify((list ?? []).map((a) => ({ name: String(a.name ?? ''), address: String(a.address ?? '') })));
}

function paramsOf(folderId: number, m: MessageInput): SQLInputValue[] {
  if (m.security !== undefined && !(SECURITY_HINTS as readonly string[]).includes(m.security)) {
    throw new SealpostError('bad-input', 'security must be encrypted, signed or none');
  }
  if (m.size !== undefined && m.size !== null && (!Number.isSafeInteger(m.size) || m.size < 0)) {
    throw new SealpostError('bad-input', 'size must be a non-negative integer');
  }
  return [
    folderId,
    imapNumber(m.uid, 'UID'),
    imapNumberOrNull(m.modseq, 'MODSEQ', true),
    m.messageId ?? null,
    m.inReplyTo ?? null,
    m.from ? JSON.stringify({ name: String(m.from.name ?? ''), address: String(m.from.address ?? '') }) : null,
    addresses(m.to),
    addresses(m.cc),
    m.subject ?? '',
    time(m.date, 'date'),
    time(m.internalDate, 'internal date'),
    JSON.stringify(normalizeFlags(m.flags ?? [])),
    m.size ?? null,
    m.security ?? 'none',
    m.raw ?? null,
  ];
}

/**
 * Inserts new messages and updates known ones (by folder and UID) in one
 * transaction: a UID is never stored twice. An update replaces every field
 * with the input's (an omitted one becomes empty), except the raw message,
 * which is kept when the update carries none; for flag changes alone use
 * `updateFlags`. Returns how many were written.
 */
export function upsertMessages(db: DatabaseSync, folderId: number, messages: readonly MessageInput[]): number {
  const rows = messages.map((m) => paramsOf(folderId, m));
  return transaction(db, () => {
    const stmt = db.prepare(
      `INSERT INTO messages (folder_id, uid, modseq, message_id, in_reply_to, from_addr, to_addrs, cc_addrs, subject, date,
                             internal_date, flags, size, security, raw)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (folder_id, uid) DO UPDATE SET
         modseq = excluded.modseq, message_id = excluded.message_id, in_reply_to = excluded.in_reply_to,
         from_addr = excluded.from_addr, to_addrs = excluded.to_addrs, cc_addrs = excluded.cc_addrs,
         subject = excluded.subject, date = excluded.date, internal_date = excluded.internal_date,
         flags = excluded.flags, size = excluded.size, security = excluded.security,
         raw = COALESCE(excluded.raw, messages.raw)`,
    );
    for (const params of rows) stmt.run(...params);
    return rows.length;
  });
}

export interface FlagUpdate {
  uid: ImapNumberInput;
  flags: readonly string[];
  modseq?: ImapNumberInput | null;
}

/** Flag changes (FETCH FLAGS, CONDSTORE CHANGEDSINCE) for known messages; unknown UIDs are skipped. Returns how many changed. */
export function updateFlags(db: DatabaseSync, folderId: number, updates: readonly FlagUpdate[]): number {
  const rows = updates.map((u) => [
    JSON.stringify(normalizeFlags(u.flags)),
    imapNumberOrNull(u.modseq, 'MODSEQ', true),
    folderId,
    imapNumber(u.uid, 'UID'),
  ]);
  return transaction(db, () => {
    const stmt = db.prepare('UPDATE messages SET flags = ?, modseq = COALESCE(?, modseq) WHERE folder_id = ? AND uid = ?');
    let changed = 0;
    for (const params of rows) changed += Number(stmt.run(...params).changes);
    return changed;
  });
}

/** Stores a fetched raw message (as fetched: ciphertext stays ciphertext). False when the message is not known. */
export function setMessageRaw(db: DatabaseSync, folderId: number, uid: ImapNumberInput, raw: Uint8Array): boolean {
  const key = imapNumber(uid, 'UID');
  return transaction(
    db,
    () => Number(db.prepare('UPDATE messages SET raw = ? WHERE folder_id = ? AND uid = ?').run(raw, folderId, key).changes) === 1,
  );
}

export function getMessage(db: DatabaseSync, folderId: number, uid: ImapNumberInput): StoredMessage | null {
  const row = db
    .prepare(`SELECT ${SUMMARY_COLUMNS}, raw FROM messages WHERE folder_id = ? AND uid = ?`)
    .get(folderId, imapNumber(uid, 'UID'));
  return row ? { ...summaryFromRow(row), raw: blobOrNull(row, 'raw') } : null;
}

export interface ListOptions {
  limit?: number;
  offset?: number;
}

/** A folder's messages, newest first (Date header, then INTERNALDATE, then UID), without the raw bytes. */
export function listMessages(db: DatabaseSync, folderId: number, options: ListOptions = {}): MessageSummary[] {
  const limit = Math.min(Math.max(Math.floor(options.limit ?? 500), 0), 100_000);
  const offset = Math.max(Math.floor(options.offset ?? 0), 0);
  return db
    .prepare(
      `SELECT ${SUMMARY_COLUMNS} FROM messages WHERE folder_id = ?
       ORDER BY COALESCE(date, internal_date) DESC NULLS LAST, CAST(uid AS INTEGER) DESC LIMIT ? OFFSET ?`,
    )
    .all(folderId, limit, offset)
    .map(summaryFromRow);
}

/** The UIDs stored for a folder, ascending. */
export function knownUids(db: DatabaseSync, folderId: number): string[] {
  return db
    .prepare('SELECT uid FROM messages WHERE folder_id = ? ORDER BY CAST(uid AS INTEGER)')
    .all(folderId)
    .map((r) => text(r, 'uid'));
}

export function highestUid(db: DatabaseSync, folderId: number): string | null {
  const row = db.prepare('SELECT uid FROM messages WHERE folder_id = ? ORDER BY CAST(uid AS INTEGER) DESC LIMIT 1').get(folderId);
  return row ? text(row, 'uid') : null;
}

/** Messages gone from the server (EXPUNGE, VANISHED). Returns how many were removed. */
export function removeMessages(db: DatabaseSync, folderId: number, uids: readonly ImapNumberInput[]): number {
  const keys = uids.map((u) => imapNumber(u, 'UID'));
  return transaction(db, () => {
    const stmt = db.prepare('DELETE FROM messages WHERE folder_id = ? AND uid = ?');
    let removed = 0;
    for (const key of keys) removed += Number(stmt.run(folderId, key).changes);
    return removed;
  });
}

/** After a full UID SEARCH: removes every stored message whose UID the server no longer has. */
export function retainMessages(db: DatabaseSync, folderId: number, uids: readonly ImapNumberInput[]): number {
  const keys = JSON.stringify(uids.map((u) => imapNumber(u, 'UID')));
  return transaction(db, () =>
    Number(
      db.prepare('DELETE FROM messages WHERE folder_id = ? AND uid NOT IN (SELECT value FROM json_each(?))').run(folderId, keys).changes,
    ),
  );
}
