/**
 * Syncs one folder's message list into the store: metadata and flags, never
 * the bodies (those are fetched on demand, `fetch-body.ts`).
 *
 * One sync, with the mailbox opened read-only (EXAMINE: nothing on the server
 * changes):
 * 1. UIDVALIDITY is recorded; a changed one clears the folder first
 *    (`checkUidValidity`, one transaction) and the sync becomes a full one.
 * 2. Which UIDs the server has: UID SEARCH ALL, skipped when UIDNEXT and the
 *    message count are what the last complete sync left (then nothing was
 *    added or expunged). Stored UIDs the server no longer has are removed.
 * 3. Flags of the stored messages: with CONDSTORE (RFC 7162) and a stored
 *    HIGHESTMODSEQ, only those changed since (`FETCH ... CHANGEDSINCE`), and
 *    nothing when HIGHESTMODSEQ did not move; otherwise (no CONDSTORE, or a
 *    first sync that was cut) FLAGS of every stored UID, in chunks.
 * 4. Messages the server has and the store has not, newest (highest UID)
 *    first, in batches: the list's header fields (LIST_FETCH_QUERY), FLAGS,
 *    RFC822.SIZE, INTERNALDATE, MODSEQ. Each batch is one store
 *    transaction (an upsert keyed by folder and UID, so a batch fetched twice
 *    is stored once).
 * 5. The folder's state (UIDNEXT, HIGHESTMODSEQ, counts) is written in the
 *    transaction of the last batch, only when everything before it is stored
 *    and only if UIDVALIDITY is still the one the sync ran under.
 *
 * A connection cut anywhere leaves whole batches and the old state: the next
 * sync computes what is missing from the UID sets again (step 2 does not
 * trust a state that was never written), fetches only that, and re-reads
 * flags from the old HIGHESTMODSEQ. Newest first means that a cut first sync
 * of a big folder still shows its latest mail.
 *
 * With QRESYNC (RFC 7162), step 2 takes the expunges from the VANISHED
 * (EARLIER) answer to the EXAMINE and searches only UIDs from the last
 * UIDNEXT on; when the counts do not add up (or without QRESYNC) it falls
 * back to the UID SEARCH ALL comparison, which works on every server.
 */
import type { DatabaseSync } from 'node:sqlite';
import type { FetchMessageObject, FetchQueryObject } from 'imapflow';
import { SealpostError } from '../../app/errors.ts';
import { decodeHeader, headerValue, parseHeaderBytes, parseStructured } from '../pgp-mime/read/mime-parse.ts';
import { parseAddresses } from '../pgp-mime/read/addresses.ts';
import { transaction } from '../store/database.ts';
import { checkUidValidity, getFolder, markFolderSynced, recountFolder, type FolderRow } from '../store/folders.ts';
import {
  knownUids,
  removeMessages,
  updateFlags,
  upsertMessages,
  type FlagUpdate,
  type MessageInput,
  type SecurityHint,
} from '../store/messages.ts';
import { openFolder, type ImapSession } from '../mail/imap-session.ts';

/**
 * Messages per FETCH and store transaction: small enough that the newest
 * messages show at once and a batch's parsing garbage stays small (bigger
 * batches measured no faster, `npm run bench`).
 */
export const DEFAULT_BATCH_SIZE = 100;
/** Stored UIDs per FLAGS fetch when every flag is read again. */
const FLAG_CHUNK = 2000;

export interface SyncProgress {
  folder: string;
  /** Messages of this sync stored so far. */
  done: number;
  /** Messages this sync has to fetch. */
  total: number;
}

export interface FolderSyncOptions {
  /** Messages per FETCH and per store transaction. */
  batchSize?: number;
  onProgress?: (progress: SyncProgress) => void;
}

export interface FolderSyncResult {
  folder: string;
  /** The server's UIDVALIDITY differed from the stored one; the folder was cleared first. */
  uidvalidityChanged: boolean;
  /** Messages removed because of that change. */
  cleared: number;
  /** New messages stored. */
  added: number;
  /** Stored messages whose flags were written again. */
  flagsUpdated: number;
  /** Stored messages gone from the server. */
  removed: number;
  /** CHANGEDSINCE was used for the flags. */
  condstore: boolean;
  /** The expunges came from QRESYNC's VANISHED; only UIDs above the last UIDNEXT were searched. */
  qresync: boolean;
}

/**
 * The header fields the message list needs, fetched as one literal
 * (`BODY.PEEK[HEADER.FIELDS (...)]`) and read with the same header code as
 * the reader: cheaper to parse than ENVELOPE plus BODYSTRUCTURE, and the
 * top-level Content-Type is all the security hint needs.
 */
export const LIST_HEADER_FIELDS = ['from', 'to', 'cc', 'subject', 'date', 'message-id', 'in-reply-to', 'content-type'] as const;

/** What a list sync fetches of each message. */
export const LIST_FETCH_QUERY: FetchQueryObject = {
  uid: true,
  flags: true,
  size: true,
  internalDate: true,
  headers: [...LIST_HEADER_FIELDS],
};

/**
 * The structural security hint from the top-level Content-Type (RFC 3156),
 * nothing decrypted or verified: multipart/encrypted for
 * application/pgp-encrypted is `encrypted`, multipart/signed for
 * application/pgp-signature is `signed` (the protocol parameter is required
 * on both, RFC 3156 sections 4 and 5).
 */
export function securityHint(contentType: string | undefined): SecurityHint {
  if (!contentType || !/^\s*multipart\/(encrypted|signed)\b/i.test(contentType)) return 'none';
  const { value, params } = parseStructured(contentType, 'text/plain');
  const protocol = (params.protocol ?? '').trim().toLowerCase();
  if (value === 'multipart/encrypted' && protocol === 'application/pgp-encrypted') return 'encrypted';
  if (value === 'multipart/signed' && protocol === 'application/pgp-signature') return 'signed';
  return 'none';
}

/** `1:3,7,9:10` for a list of UIDs. */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Server flags as the store takes them; a malformed one is left out rather than failing the sync. */
function flagsOf(flags: Set<string> | undefined): string[] {
  return [...(flags ?? [])].filter((f) => typeof f === 'string' && f.length > 0 && f.length <= 200 && !/[\x00-\x20\x7f]/.test(f));
}

/** RFC 2047 words decoded; most subjects have none, and skip the decoder. */
function encodedWords(value: string): string {
  return value.includes('=?') ? decodeHeader(value) : value;
}

/** The first message id of a field (`<...>`), or null. */
function messageIdIn(value: string | undefined): string | null {
  const found = value === undefined ? null : /<[^<>\s]{1,990}>/.exec(value);
  return found ? found[0] : null;
}

/** The Date header as epoch ms (RFC 5322 section 3.3; what Date.parse reads of it), or null. */
function dateOf(value: string | undefined): number | null {
  if (value === undefined) return null;
  const ms = Date.parse(value.replace(/\s*\([^)]*\)\s*$/, ''));
  return Number.isSafeInteger(ms) ? ms : null;
}

function epoch(value: Date | string | undefined): number | null {
  if (value === undefined || value === null) return null;
  const ms = (value instanceof Date ? value : new Date(value)).getTime();
  return Number.isSafeInteger(ms) ? ms : null;
}

const MAX_LIST_ADDRESSES = 1000;

/** A fetched message (LIST_FETCH_QUERY) as the store takes it. */
export function messageInput(m: FetchMessageObject): MessageInput {
  const headers = m.headers ? parseHeaderBytes(m.headers) : [];
  const field = (key: string) => headerValue({ headers }, key);
  const addresses = (key: string) =>
    parseAddresses(field(key))
      .filter((a) => a.address || a.name)
      .slice(0, MAX_LIST_ADDRESSES);
  return {
    uid: m.uid,
    modseq: m.modseq ?? null,
    messageId: messageIdIn(field('message-id')),
    inReplyTo: messageIdIn(field('in-reply-to')),
    from: addresses('from')[0] ?? null,
    to: addresses('to'),
    cc: addresses('cc'),
    subject: encodedWords(field('subject') ?? '')
      .replace(/[\r\n]+/g, ' ')
      .slice(0, 2000),
    date: dateOf(field('date')),
    internalDate: epoch(m.internalDate),
    flags: flagsOf(m.flags),
    size: typeof m.size === 'number' && Number.isSafeInteger(m.size) && m.size >= 0 ? m.size : null,
    security: securityHint(field('content-type')),
  };
}

async function collect(iterator: AsyncIterable<FetchMessageObject>): Promise<FetchMessageObject[]> {
  const out: FetchMessageObject[] = [];
  for await (const m of iterator) out.push(m);
  return out;
}

/** Brings one folder of the store up to date with the server. */
export async function syncFolder(
  db: DatabaseSync,
  session: ImapSession,
  folder: FolderRow,
  options: FolderSyncOptions = {},
): Promise<FolderSyncResult> {
  const batchSize = Math.max(1, Math.min(Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE), 5000));
  const { client } = session;
  const progress = (done: number, total: number) => options.onProgress?.({ folder: folder.path, done, total });
  // The last complete sync's state, for QRESYNC; a folder never synced to the end has none.
  const last = getFolder(db, folder.id) ?? folder;
  const known =
    last.uidvalidity !== null && last.highestmodseq !== null && last.uidnext !== null
      ? { uidValidity: BigInt(last.uidvalidity), highestModseq: BigInt(last.highestmodseq) }
      : undefined;
  const lock = await openFolder(session, folder.path, known);
  try {
    const { mailbox } = lock;
    // What the server said at SELECT time: changes after it are seen by the next sync.
    const uidvalidity = mailbox.uidValidity;
    const uidnext = mailbox.uidNext;
    const exists = mailbox.exists;
    const serverModseq = mailbox.noModseq ? undefined : mailbox.highestModseq;

    const check = checkUidValidity(db, folder.id, uidvalidity);
    const state = getFolder(db, folder.id);
    if (!state) throw new SealpostError('bad-input', `the folder ${folder.path} is no longer in the store`);
    const local = new Set(knownUids(db, folder.id).map(Number));
    const result: FolderSyncResult = {
      folder: folder.path,
      uidvalidityChanged: check.changed,
      cleared: check.cleared,
      added: 0,
      flagsUpdated: 0,
      removed: 0,
      condstore: false,
      qresync: false,
    };

    // 2. The server's UIDs, and expunges.
    const unchangedSet = state.uidnext !== null && state.uidnext === String(uidnext) && exists === local.size;
    let server: Set<number> | null = null;
    if (unchangedSet) {
      server = new Set(local);
    } else if (lock.vanished !== null && !check.changed && state.uidnext !== null) {
      // QRESYNC (RFC 7162 section 3.2.5.2): the expunges since the last sync are listed; new
      // messages have UIDs from the last UIDNEXT on. Trusted only if the counts then add up.
      const vanished = new Set(lock.vanished);
      const fresh = await session.step(`listing the new messages of ${folder.path}`, () =>
        client.search({ uid: `${state.uidnext}:*` }, { uid: true }),
      );
      if (Array.isArray(fresh)) {
        const candidate = new Set([...local].filter((uid) => !vanished.has(uid)));
        for (const uid of fresh) if (uid >= Number(state.uidnext)) candidate.add(uid);
        if (candidate.size === exists) {
          server = candidate;
          result.qresync = true;
        }
      }
    }
    if (server === null) {
      const found =
        exists === 0 ? [] : await session.step(`listing the messages of ${folder.path}`, () => client.search({ all: true }, { uid: true }));
      if (!Array.isArray(found)) throw new SealpostError('network-bad-response', `the server did not list the messages of ${folder.path}`);
      server = new Set(found);
    }
    if (!unchangedSet) {
      const gone = [...local].filter((uid) => !server.has(uid));
      if (gone.length > 0) result.removed = removeMessages(db, folder.id, gone);
      for (const uid of gone) local.delete(uid);
    }

    // 3. Flags of what is stored.
    const stored = [...local].sort((a, b) => a - b);
    if (stored.length > 0) {
      const since = state.highestmodseq !== null && serverModseq !== undefined ? BigInt(state.highestmodseq) : null;
      if (since !== null) {
        result.condstore = true;
        if (serverModseq! > since) {
          const changed = await session.step(`reading changed flags in ${folder.path}`, () =>
            collect(client.fetch(`1:${stored.at(-1)}`, { uid: true, flags: true }, { uid: true, changedSince: since })),
          );
          result.flagsUpdated += applyFlags(db, folder.id, changed, local);
        }
      } else {
        for (let i = 0; i < stored.length; i += FLAG_CHUNK) {
          const chunk = stored.slice(i, i + FLAG_CHUNK);
          const fetched = await session.step(`reading flags in ${folder.path}`, () =>
            collect(client.fetch(uidSet(chunk), { uid: true, flags: true }, { uid: true })),
          );
          result.flagsUpdated += applyFlags(db, folder.id, fetched, local);
        }
      }
    }

    // 4. New messages, newest first; 5. the state with the last batch.
    const missing = [...server].filter((uid) => !local.has(uid)).sort((a, b) => b - a);
    const finish = () => {
      markFolderSynced(db, folder.id, { uidvalidity, uidnext, highestmodseq: serverModseq ?? null });
      recountFolder(db, folder.id);
    };
    progress(0, missing.length);
    if (missing.length === 0) transaction(db, finish);
    for (let i = 0; i < missing.length; i += batchSize) {
      const batch = missing.slice(i, i + batchSize);
      const fetched = await session.step(`reading messages of ${folder.path}`, () =>
        collect(client.fetch(uidSet(batch), LIST_FETCH_QUERY, { uid: true })),
      );
      const wanted = new Set(batch);
      const inputs = fetched.filter((m) => wanted.has(m.uid)).map(messageInput);
      const last = i + batchSize >= missing.length;
      transaction(db, () => {
        upsertMessages(db, folder.id, inputs);
        if (last) finish();
      });
      result.added += inputs.length;
      progress(Math.min(i + batch.length, missing.length), missing.length);
    }
    return result;
  } finally {
    lock.release();
  }
}

function applyFlags(db: DatabaseSync, folderId: number, fetched: readonly FetchMessageObject[], local: Set<number>): number {
  const updates: FlagUpdate[] = fetched
    .filter((m) => local.has(m.uid) && m.flags !== undefined)
    .map((m) => ({ uid: m.uid, flags: flagsOf(m.flags), modseq: m.modseq ?? null }));
  return updates.length === 0 ? 0 : updateFlags(db, folderId, updates);
}
