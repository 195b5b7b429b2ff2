/**
 * One message's raw source, fetched on demand (`BODY.PEEK[]` in a mailbox
 * opened read-only: reading does not mark it \Seen) and stored as fetched:
 * an encrypted message stays ciphertext, byte for byte.
 *
 * The UID is only meaningful under the folder's UIDVALIDITY: when the server
 * reports another one, the folder is cleared (`checkUidValidity`) and the
 * request fails, since the stored UID names nothing any more. A message the
 * server no longer has is removed from the store and reported.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';
import { checkUidValidity, type FolderRow } from '../store/folders.ts';
import { imapNumber, type ImapNumberInput } from '../store/imap-ids.ts';
import { getMessage, removeMessages, setMessageRaw } from '../store/messages.ts';
import { openFolder, type ImapSession } from '../mail/imap-session.ts';

export interface FetchBodyOptions {
  /** Fetch again even when the raw message is already stored. */
  refresh?: boolean;
}

/** The message's raw bytes: from the store when it has them, else from the server (then stored). */
export async function fetchBody(
  db: DatabaseSync,
  session: ImapSession,
  folder: FolderRow,
  uid: ImapNumberInput,
  options: FetchBodyOptions = {},
): Promise<Uint8Array> {
  const key = imapNumber(uid, 'UID');
  const known = getMessage(db, folder.id, key);
  if (!known) throw new SealpostError('bad-input', `no message with UID ${key} in ${folder.path}; sync the folder first`);
  if (known.raw && !options.refresh) return known.raw;
  const { client } = session;
  const lock = await openFolder(session, folder.path);
  try {
    const { mailbox } = lock;
    if (checkUidValidity(db, folder.id, mailbox.uidValidity).changed) {
      throw new SealpostError('bad-input', `${folder.path} was recreated on the server (its UIDVALIDITY changed); sync the folder again`);
    }
    const message = await session.step(`reading message ${key} of ${folder.path}`, () =>
      client.fetchOne(key, { uid: true, source: true }, { uid: true }),
    );
    if (!message || message.uid !== Number(key) || !message.source) {
      removeMessages(db, folder.id, [key]);
      throw new SealpostError('bad-input', `the message with UID ${key} is no longer in ${folder.path} on the server`);
    }
    const raw = new Uint8Array(message.source.buffer, message.source.byteOffset, message.source.byteLength);
    setMessageRaw(db, folder.id, key, raw);
    return raw;
  } finally {
    lock.release();
  }
}
