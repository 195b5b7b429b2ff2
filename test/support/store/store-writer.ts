/**
 * A process that writes the mail store, for the crash and concurrency tests.
 *
 *   node test/support/store/store-writer.ts HOME FOLDER_ID BATCHES ROWS [PAUSE_MS]
 *
 * Each batch is one transaction: ROWS messages (UIDs batch*ROWS+1...) with a
 * raw body, then the folder's counts from its messages. With PAUSE_MS, the
 * transaction stops half way for that long after printing "mid N" (with a
 * tiny page cache, so that uncommitted pages are already in the WAL file).
 * After each commit it prints "committed N". BATCHES 0 means forever.
 */
import { openStore, transaction } from '../../../main/store/database.ts';
import { recountFolder } from '../../../main/store/folders.ts';
import { upsertMessages, type MessageInput } from '../../../main/store/messages.ts';
import { writeSync } from 'node:fs';

const [home, folderArg, batchesArg, rowsArg, pauseArg] = process.argv.slice(2);
if (!home || !folderArg || !batchesArg || !rowsArg) throw new Error('usage: store-writer.ts HOME FOLDER_ID BATCHES ROWS [PAUSE_MS]');
const folderId = Number(folderArg);
const batches = Number(batchesArg);
const rows = Number(rowsArg);
const pauseMs = Number(pauseArg ?? 0);
const pad = new Uint8Array(2048).fill(0x61);

const db = openStore(home);
try {
  if (pauseMs > 0) db.exec('PRAGMA cache_size = 8');
  const make = (batch: number, from: number, to: number): MessageInput[] => {
    const out: MessageInput[] = [];
    for (let i = from; i < to; i++) {
      out.push({ uid: batch * rows + i + 1, subject: `batch ${batch} row ${i}`, date: batch * 1000 + i, raw: pad, security: 'encrypted' });
    }
    return out;
  };
  for (let batch = 0; batches === 0 || batch < batches; batch++) {
    transaction(db, () => {
      upsertMessages(db, folderId, make(batch, 0, rows / 2));
      if (pauseMs > 0) {
        writeSync(1, `mid ${batch}\n`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pauseMs);
      }
      upsertMessages(db, folderId, make(batch, rows / 2, rows));
      recountFolder(db, folderId);
    });
    writeSync(1, `committed ${batch}\n`);
  }
} finally {
  db.close();
}
