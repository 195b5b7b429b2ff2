/**
 * The mail store's schema, as an append-only list of steps. Never edit a step
 * that has shipped: add the next one. Step N takes a store from version N-1 to
 * N inside one transaction (database.ts).
 *
 * Conventions:
 * - STRICT tables: SQLite checks each column's type.
 * - Times are epoch milliseconds (INTEGER), as everywhere in the app.
 * - IMAP numbers (UID, UIDVALIDITY, UIDNEXT, MODSEQ) are TEXT in canonical
 *   decimal form ("42", never "042"): MODSEQ is 63-bit, JSON carries them as
 *   strings, and a canonical form keeps UNIQUE(folder_id, uid) meaningful.
 *   Order by `CAST(uid AS INTEGER)`, never by the text.
 * - JSON columns are checked with json_valid().
 * - What the user wrote and has not sent or saved yet (outbox, drafts) is
 *   protected by ON DELETE RESTRICT: removing an account cannot drop it by
 *   accident. What is a copy of the server (folders, messages) or refers to
 *   it (pending actions) goes with its account.
 */
import type { DatabaseSync } from 'node:sqlite';

export interface Migration {
  version: number;
  description: string;
  up: (db: DatabaseSync) => void;
}

/** A CHECK for a canonical unsigned decimal in a TEXT column. */
const decimal = (column: string, nullable = true) =>
  `CHECK (${nullable ? `${column} IS NULL OR ` : ''}(${column} <> '' AND ${column} NOT GLOB '*[^0-9]*' AND (${column} = '0' OR ${column} NOT GLOB '0*') AND length(${column}) <= 20))`;

const V1 = `
CREATE TABLE accounts (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL,
  email_key     TEXT NOT NULL UNIQUE,
  display_name  TEXT NOT NULL DEFAULT '',
  imap          TEXT NOT NULL CHECK (json_valid(imap)),
  smtp          TEXT NOT NULL CHECK (json_valid(smtp)),
  ca_pem        TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE folders (
  id            INTEGER PRIMARY KEY,
  account_id    TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  path          TEXT NOT NULL,
  delimiter     TEXT,
  role          TEXT CHECK (role IN ('inbox', 'sent', 'drafts', 'trash', 'junk', 'archive', 'all', 'flagged')),
  uidvalidity   TEXT ${decimal('uidvalidity')},
  uidnext       TEXT ${decimal('uidnext')},
  highestmodseq TEXT ${decimal('highestmodseq')},
  unread_count  INTEGER NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
  total_count   INTEGER NOT NULL DEFAULT 0 CHECK (total_count >= 0),
  last_sync_at  INTEGER,
  UNIQUE (account_id, path)
) STRICT;

CREATE TABLE messages (
  id            INTEGER PRIMARY KEY,
  folder_id     INTEGER NOT NULL REFERENCES folders (id) ON DELETE CASCADE,
  uid           TEXT NOT NULL ${decimal('uid', false)},
  modseq        TEXT ${decimal('modseq')},
  message_id    TEXT,
  in_reply_to   TEXT,
  from_addr     TEXT CHECK (from_addr IS NULL OR json_valid(from_addr)),
  to_addrs      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(to_addrs)),
  cc_addrs      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(cc_addrs)),
  subject       TEXT NOT NULL DEFAULT '',
  date          INTEGER,
  internal_date INTEGER,
  flags         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(flags)),
  size          INTEGER CHECK (size IS NULL OR size >= 0),
  security      TEXT NOT NULL DEFAULT 'none' CHECK (security IN ('encrypted', 'signed', 'none')),
  raw           BLOB,
  UNIQUE (folder_id, uid)
) STRICT;
CREATE INDEX messages_by_date ON messages (folder_id, date DESC);
CREATE INDEX messages_by_message_id ON messages (message_id) WHERE message_id IS NOT NULL;

CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE RESTRICT,
  message_id      TEXT,
  raw             BLOB NOT NULL,
  envelope        TEXT NOT NULL CHECK (json_valid(envelope)),
  state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error      TEXT,
  last_error_code TEXT,
  next_attempt_at INTEGER NOT NULL,
  attempted_at    INTEGER,
  created_at      INTEGER NOT NULL,
  sent_at         INTEGER,
  CHECK ((state = 'sent') = (sent_at IS NOT NULL))
) STRICT;
CREATE INDEX outbox_due ON outbox (account_id, state, next_attempt_at);

CREATE TABLE pending_actions (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id      TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  kind            TEXT NOT NULL CHECK (kind <> ''),
  payload         TEXT NOT NULL CHECK (json_valid(payload)),
  created_at      INTEGER NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error      TEXT,
  next_attempt_at INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX pending_actions_in_order ON pending_actions (account_id, id);

CREATE TABLE drafts (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id       TEXT NOT NULL REFERENCES accounts (id) ON DELETE RESTRICT,
  raw              BLOB NOT NULL,
  encrypted        INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
  revision         INTEGER NOT NULL DEFAULT 1 CHECK (revision >= 1),
  synced_revision  INTEGER,
  server_folder_id INTEGER REFERENCES folders (id) ON DELETE SET NULL,
  server_uid       TEXT ${decimal('server_uid')},
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX drafts_by_account ON drafts (account_id, updated_at DESC);
CREATE INDEX drafts_by_server_folder ON drafts (server_folder_id) WHERE server_folder_id IS NOT NULL;
`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'accounts, folders, messages, outbox, pending actions, drafts',
    up: (db) => db.exec(V1),
  },
  {
    version: 2,
    description: 'accounts: a command that gives the password, instead of a stored one',
    // NULL: the password is in the secret store, as before.
    up: (db) =>
      db.exec('ALTER TABLE accounts ADD COLUMN password_command TEXT CHECK (password_command IS NULL OR length(password_command) > 0)'),
  },
];
