/**
 * The store shared by processes: a writer killed in the middle of a
 * transaction, and two writers at once (the app and the command line).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openStore, SCHEMA_VERSION, storePath } from '../../../main/store/database.ts';
import { getFolder, upsertFolder } from '../../../main/store/folders.ts';
import { knownUids } from '../../../main/store/messages.ts';
import { addTestAccount, tempHome } from '../../support/store/helpers.ts';

const WRITER = fileURLToPath(new URL('../../support/store/store-writer.ts', import.meta.url));

function startWriter(args: (string | number)[]): {
  child: ChildProcess;
  lines: string[];
  waitFor(line: string): Promise<void>;
  exit: Promise<{ code: number | null; signal: string | null; stderr: string }>;
} {
  const child = spawn(process.execPath, ['--no-warnings', WRITER, ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { line: string; resolve: () => void }[] = [];
  let buffer = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.filter((w) => w.line === line)) w.resolve();
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exit = new Promise<{ code: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  const waitFor = (line: string) =>
    new Promise<void>((resolve, reject) => {
      if (lines.includes(line)) return resolve();
      waiters.push({ line, resolve });
      void exit.then((r) => reject(new Error(`writer exited (${r.code ?? r.signal}) before "${line}": ${r.stderr}`)));
    });
  return { child, lines, waitFor, exit };
}

/** Whether the last frame of a WAL file ends a transaction (its "database size after commit" field is not 0). */
function lastWalFrameCommits(walPath: string): boolean {
  const wal = readFileSync(walPath);
  const pageSize = wal.readUInt32BE(8);
  const frames = Math.floor((wal.length - 32) / (24 + pageSize));
  assert.ok(frames > 0, 'the WAL has frames');
  return wal.readUInt32BE(32 + (frames - 1) * (24 + pageSize) + 4) !== 0;
}

function prepare(home: string, folders: string[]): number[] {
  const db = openStore(home);
  try {
    const a = addTestAccount(db);
    return folders.map((path) => upsertFolder(db, a.id, { path }).id);
  } finally {
    db.close();
  }
}

test(
  'a writer killed (SIGKILL) in the middle of a transaction leaves a readable store with whole transactions only',
  { timeout: 30_000 },
  async () => {
    const { home, cleanup } = tempHome();
    try {
      const [folderId] = prepare(home, ['INBOX']);
      const ROWS = 400;
      // Each transaction pauses half way (after "mid N") with uncommitted pages already in the WAL file.
      const writer = startWriter([home, folderId!, 0, ROWS, 500]);
      await writer.waitFor('mid 2');
      writer.child.kill('SIGKILL');
      const result = await writer.exit;
      assert.equal(result.signal, 'SIGKILL');
      assert.deepEqual(writer.lines, ['mid 0', 'committed 0', 'mid 1', 'committed 1', 'mid 2']);
      assert.equal(
        lastWalFrameCommits(`${storePath(home)}-wal`),
        false,
        'the killed transaction had written pages to the WAL, without a commit',
      );

      const db = openStore(home);
      try {
        assert.equal(db.prepare('PRAGMA integrity_check').get()?.integrity_check, 'ok');
        assert.deepEqual(db.prepare('PRAGMA foreign_key_check').all(), []);
        const uids = knownUids(db, folderId!);
        assert.equal(uids.length, 2 * ROWS, 'the two committed transactions, nothing of the third');
        assert.equal(uids.at(-1), String(2 * ROWS));
        assert.equal(getFolder(db, folderId!)?.totalCount, 2 * ROWS, 'the counts were written with the messages');
        // And the store takes writes again.
        db.prepare('UPDATE folders SET last_sync_at = 1 WHERE id = ?').run(folderId!);
      } finally {
        db.close();
      }
    } finally {
      cleanup();
    }
  },
);

test('two processes writing at once both succeed (busy_timeout, BEGIN IMMEDIATE)', { timeout: 30_000 }, async () => {
  const { home, cleanup } = tempHome();
  try {
    const folders = prepare(home, ['A', 'B']);
    const BATCHES = 15;
    const ROWS = 100;
    // Each transaction holds the write lock for 20 ms, so the two must wait for each other.
    const writers = folders.map((id) => startWriter([home, id, BATCHES, ROWS, 20]));
    const results = await Promise.all(writers.map((w) => w.exit));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const db = openStore(home);
    try {
      assert.equal(db.prepare('PRAGMA integrity_check').get()?.integrity_check, 'ok');
      for (const id of folders) {
        assert.equal(knownUids(db, id).length, BATCHES * ROWS);
        assert.equal(getFolder(db, id)?.totalCount, BATCHES * ROWS);
      }
    } finally {
      db.close();
    }
    for (const w of writers) assert.equal(w.lines.filter((l) => l.startsWith('committed')).length, BATCHES);
  } finally {
    cleanup();
  }
});

test('processes opening a new profile at once: the schema is created once, all of them open it', { timeout: 30_000 }, async () => {
  const { home, cleanup } = tempHome();
  try {
    const open = `import(${JSON.stringify(new URL('../../../main/store/database.ts', import.meta.url).href)}).then((m) => m.openStore(process.argv[1]).close())`;
    const runs = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', open, home], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
      return new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stderr })));
    });
    for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.stderr);
    const db = openStore(home);
    try {
      assert.deepEqual(
        db
          .prepare('SELECT version FROM schema_version ORDER BY version')
          .all()
          .map((r) => r.version),
        Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      );
    } finally {
      db.close();
    }
  } finally {
    cleanup();
  }
});
