// The folder watcher (main/sync/watch-folder.ts) against the real Dovecot
// on loopback: the first sync on start, new mail, a flag change and an
// expunge by another client seen through IDLE within seconds, a burst of
// deliveries synced without overlapping syncs, a restarted Dovecot (the
// error reported, the watcher back and seeing new mail), stop() closing
// everything, a stop during a connection attempt, and the reconnection
// delays. Skipped, with the reason, where the servers cannot run.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { ImapFlow } from 'imapflow';
import { mailServersAvailable, startMailServers, type MailServers } from '../../support/servers/mailservers.ts';
import { startCuttingProxy, startSilentServer } from '../../support/cutting-proxy.ts';
import { addTestAccount, asOtherClient } from '../../support/imap-peer.ts';
import { SealpostError } from '../../../app/errors.ts';
import { openStore } from '../../../main/store/database.ts';
import { upsertFolder, type FolderRow } from '../../../main/store/folders.ts';
import { listMessages } from '../../../main/store/messages.ts';
import type { Account } from '../../../main/accounts/accounts.ts';
import type { FolderSyncResult } from '../../../main/sync/folder-sync.ts';
import type { SyncTimeouts } from '../../../main/mail/imap-session.ts';
import { FolderWatcher, type FolderWatcherOptions } from '../../../main/sync/watch-folder.ts';

const USER = 'watch@sealpost.test';
const PASSWORD = 'watch-pässword-1';
const skip = mailServersAvailable();

/**
 * The socket timeout is longer than any wait for a change below: the change
 * must come from the server's IDLE notifications, not from the keepalive
 * NOOP that ends IDLE after that much silence.
 */
const TIMEOUTS: SyncTimeouts = { connectionMs: 3_000, greetingMs: 3_000, socketMs: 20_000, stepMs: 15_000 };
const SEEN_WITHIN_MS = 5_000;

function message(i: number): Buffer {
  return Buffer.from(
    [
      'From: Alice <alice@example.test>',
      `To: Watch <${USER}>`,
      `Subject: watched ${i}`,
      `Date: ${new Date(Date.UTC(2024, 0, 1, i)).toUTCString().replace('GMT', '+0000')}`,
      `Message-ID: <w${i}@example.test>`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      `text ${i}`,
      '',
    ].join('\r\n'),
    'utf8',
  );
}

async function waitFor(what: string, ms: number, probe: () => boolean): Promise<number> {
  const started = Date.now();
  while (!probe()) {
    if (Date.now() - started > ms) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - started;
}

const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TLSWrap').length;

describe('folder watcher: IDLE on the open folder (real Dovecot)', { skip: skip ?? false, timeout: 60_000 }, () => {
  let servers: MailServers;
  let home: string;
  let db: DatabaseSync;
  let account: Account;
  let inbox: FolderRow;
  let watcher: FolderWatcher | undefined;
  const extra: FolderWatcher[] = [];
  const changes: FolderSyncResult[] = [];
  const errors: SealpostError[] = [];
  let baselineSockets = 0;

  const rows = () => listMessages(db, inbox.id, { limit: 10_000 });
  const byId = (i: number) => rows().find((m) => m.messageId === `<w${i}@example.test>`);

  /** A connection of "another client" with INBOX selected, closed after `work`. */
  const asOther = <T>(work: (client: ImapFlow) => Promise<T>): Promise<T> =>
    asOtherClient(servers, USER, PASSWORD, async (client) => {
      const lock = await client.getMailboxLock('INBOX');
      try {
        return await work(client);
      } finally {
        lock.release();
      }
    });

  function watch(options: Partial<FolderWatcherOptions> = {}): FolderWatcher {
    const w = new FolderWatcher({
      db,
      account,
      password: async () => PASSWORD,
      folder: inbox,
      timeouts: TIMEOUTS,
      backoff: { firstMs: 200, maxMs: 2_000 },
      onChange: (result) => changes.push(result),
      onError: (error) => errors.push(error),
      ...options,
    });
    extra.push(w);
    return w;
  }

  before(async () => {
    servers = await startMailServers();
    await servers.addUser(USER, PASSWORD);
    for (let i = 1; i <= 5; i++) await servers.deliver(USER, message(i));
    home = mkdtempSync(join(tmpdir(), 'sealpost-watch-'));
    db = openStore(home);
    account = await addTestAccount(db, servers, USER, PASSWORD);
    inbox = upsertFolder(db, account.id, { path: 'INBOX', role: 'inbox' });
    baselineSockets = sockets();
  });

  after(async () => {
    for (const w of extra) await w.stop();
    db?.close();
    if (home) rmSync(home, { recursive: true, force: true });
    await servers?.close();
  });

  test('on start: the folder is synced, onChange is told', { timeout: 15_000 }, async () => {
    watcher = watch();
    assert.equal(watcher.state, 'new');
    watcher.start();
    await waitFor('the first sync', 10_000, () => changes.length >= 1);
    assert.equal(changes[0]!.added, 5);
    assert.equal(rows().length, 5);
    await waitFor('IDLE', 2_000, () => watcher!.state === 'idle');
    assert.equal(watcher.connections, 1);
    assert.deepEqual(errors, []);
  });

  test('a delivered message is in the store within seconds', { timeout: 15_000 }, async () => {
    const from = changes.length;
    await servers.deliver(USER, message(6));
    await waitFor('message 6 in the store', SEEN_WITHIN_MS, () => byId(6) !== undefined);
    await waitFor('onChange', 1_000, () => changes.slice(from).some((c) => c.added === 1));
    assert.equal(rows().length, 6);
  });

  test("fetchBody: a message of the folder over the watcher's own connection, then IDLE again", { timeout: 15_000 }, async () => {
    const w = watcher!;
    const stored = byId(6)!;
    assert.equal(stored.hasRaw, false, 'a sync stores the header only');
    const raw = await w.fetchBody(stored.uid);
    assert.ok(raw);
    assert.match(Buffer.from(raw).toString('utf8'), /Subject: watched 6[\s\S]*text 6/);
    assert.equal(byId(6)!.hasRaw, true, 'stored as fetched');
    assert.equal(w.connections, 1, 'no other login');
    await waitFor('IDLE again', 2_000, () => w.state === 'idle');
    const from = changes.length;
    await servers.deliver(USER, message(60));
    await waitFor('message 60 after the fetch', SEEN_WITHIN_MS, () => byId(60) !== undefined);
    await waitFor('onChange', 1_000, () => changes.slice(from).some((c) => c.added === 1));
    assert.equal(w.connections, 1);
  });

  test('a flag set by another client is seen', { timeout: 15_000 }, async () => {
    const from = changes.length;
    const uid = byId(2)!.uid;
    await asOther(async (client) => {
      assert.ok(await client.messageFlagsAdd(String(uid), ['\\Flagged', '\\Seen'], { uid: true }));
    });
    await waitFor('the flags of message 2', SEEN_WITHIN_MS, () => byId(2)!.flags.includes('\\Flagged'));
    assert.deepEqual(byId(2)!.flags, ['\\Flagged', '\\Seen']);
    await waitFor('onChange', 1_000, () => changes.slice(from).some((c) => c.flagsUpdated >= 1));
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.equal(changes.length - from, 1, 'one change, one sync');
  });

  test('an expunge by another client is seen', { timeout: 15_000 }, async () => {
    const from = changes.length;
    const uid = byId(3)!.uid;
    await asOther(async (client) => {
      assert.ok(await client.messageDelete(String(uid), { uid: true }));
    });
    await waitFor('message 3 gone', SEEN_WITHIN_MS, () => byId(3) === undefined);
    await waitFor('onChange', 1_000, () => changes.slice(from).some((c) => c.removed === 1));
  });

  test('a burst of deliveries: every message stored once', { timeout: 20_000 }, async () => {
    const from = changes.length;
    const before = rows().length;
    const burst = Array.from({ length: 8 }, (_, k) => 100 + k);
    await Promise.all(burst.map((i) => servers.deliver(USER, message(i))));
    await waitFor('the burst in the store', SEEN_WITHIN_MS, () => burst.every((i) => byId(i) !== undefined));
    await waitFor('the syncs to settle', 2_000, () => watcher!.state === 'idle');
    // Each new message is counted by the one sync that stored it.
    const added = changes.slice(from).reduce((n, c) => n + c.added, 0);
    assert.equal(added, burst.length);
    assert.equal(rows().length, before + burst.length);
    assert.ok(changes.length - from <= burst.length, 'notifications during a sync were coalesced');
  });

  test('a burst of notifications makes one more sync, not one per notification', { timeout: 20_000 }, async () => {
    const from = changes.length;
    const count = rows().length;
    // One STORE on every message: Dovecot sends one FETCH (FLAGS) per message to the idling watcher, together.
    await asOther(async (client) => {
      assert.ok(await client.messageFlagsAdd('1:*', ['$Burst']));
    });
    await waitFor('the flags in the store', SEEN_WITHIN_MS, () => rows().every((m) => m.flags.includes('$Burst')));
    await new Promise((resolve) => setTimeout(resolve, 500));
    await waitFor('the syncs to settle', 2_000, () => watcher!.state === 'idle');
    const syncs = changes.slice(from);
    assert.ok(syncs.length >= 1 && syncs.length <= 2, `${count} notifications made ${syncs.length} syncs`);
    assert.equal(
      syncs.reduce((n, c) => n + c.flagsUpdated, 0),
      count,
    );
  });

  test('Dovecot restarted: the error is reported, the watcher reconnects and sees new mail', { timeout: 30_000 }, async () => {
    const errorsBefore = errors.length;
    const connections = watcher!.connections;
    await servers.restartDovecot();
    await waitFor('the error', 10_000, () => errors.length > errorsBefore);
    for (const e of errors.slice(errorsBefore)) {
      assert.ok(e instanceof SealpostError);
      assert.ok(e.retryable && e.code.startsWith('network-'), `${e.code}: ${e.message}`);
    }
    await waitFor('a new connection', 10_000, () => watcher!.connections > connections && watcher!.state === 'idle');
    await servers.deliver(USER, message(7));
    await waitFor('message 7 in the store', SEEN_WITHIN_MS, () => byId(7) !== undefined);
  });

  test('stop(): everything closed, no more syncs, idempotent', { timeout: 15_000 }, async () => {
    const w = watcher!;
    const stops = [w.stop(), w.stop()];
    assert.equal(stops[0], stops[1]);
    await Promise.all(stops);
    assert.equal(w.state, 'stopped');
    // Node releases a destroyed socket's handle a moment later, on the loop's close phase.
    await waitFor('the sockets of the watcher released', 1_000, () => sockets() === baselineSockets);
    const from = changes.length;
    await servers.deliver(USER, message(8));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(byId(8), undefined);
    assert.equal(changes.length, from);
    assert.equal(await w.fetchBody(byId(1)!.uid), null, 'stopped: no connection to fetch over');
    w.start();
    assert.equal(w.state, 'stopped', 'a stopped watcher does not start again');
    await w.stop();
  });

  test('a connection gone silent while idling is given up after the socket timeout, and a new one made', { timeout: 20_000 }, async () => {
    const proxy = await startCuttingProxy(servers.imap);
    const seen: FolderSyncResult[] = [];
    const failed: SealpostError[] = [];
    const w = watch({
      account: { ...account, imap: { ...account.imap, port: proxy.port } },
      timeouts: { ...TIMEOUTS, socketMs: 1_000 },
      onChange: (result) => seen.push(result),
      onError: (error) => failed.push(error),
    });
    try {
      w.start();
      await waitFor('the first sync', 5_000, () => seen.length >= 1 && w.state === 'idle');
      assert.ok(byId(8), 'what arrived while nothing watched is synced on start');
      proxy.freeze();
      const started = Date.now();
      await waitFor('the error', 5_000, () => failed.length >= 1);
      assert.equal(failed[0]!.code, 'network-timeout', failed[0]!.message);
      assert.ok(Date.now() - started >= 1_000, 'not before the socket timeout');
      proxy.thaw();
      await waitFor('a new connection', 8_000, () => w.connections >= 2 && w.state === 'idle');
      await servers.deliver(USER, message(9));
      await waitFor('message 9 in the store', SEEN_WITHIN_MS, () => byId(9) !== undefined);
    } finally {
      await w.stop();
      await proxy.close();
    }
  });

  test('stop() during a connection attempt to a server that says nothing ends it at once', { timeout: 15_000 }, async () => {
    const silent = await startSilentServer();
    try {
      const errorsBefore = errors.length;
      const w = watch({
        account: { ...account, imap: { ...account.imap, port: silent.port } },
        timeouts: { ...TIMEOUTS, greetingMs: 30_000 },
      });
      w.start();
      await waitFor('the connection', 5_000, () => silent.accepted === 1);
      assert.equal(w.state, 'connecting');
      const started = Date.now();
      await w.stop();
      assert.ok(Date.now() - started < 1_000, 'stop() did not wait for the greeting timeout');
      assert.equal(errors.length, errorsBefore, 'nothing reported after stop()');
      await waitFor('the socket of the watcher released', 1_000, () => sockets() === baselineSockets);
    } finally {
      await silent.close();
    }
  });

  test('a refused connection is retried after growing delays, up to the bound', { timeout: 15_000 }, async () => {
    // A port nobody listens on: taken from the system, then released.
    const probe = createServer();
    const port = await new Promise<number>((resolve) =>
      probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)),
    );
    await new Promise((resolve) => probe.close(resolve));
    const seen: { at: number; error: SealpostError }[] = [];
    const w = watch({
      account: { ...account, imap: { ...account.imap, port } },
      backoff: { firstMs: 100, maxMs: 400 },
      onError: (error) => seen.push({ at: Date.now(), error }),
    });
    w.start();
    try {
      await waitFor('six attempts', 5_000, () => seen.length >= 6);
    } finally {
      await w.stop();
    }
    for (const { error } of seen) assert.equal(error.code, 'network-unavailable', error.message);
    const gaps = seen.slice(1).map((s, k) => s.at - seen[k]!.at);
    const expected = [100, 200, 400, 400, 400];
    gaps.slice(0, 5).forEach((gap, k) => {
      assert.ok(gap >= expected[k]! - 10 && gap < expected[k]! + 300, `delay ${k + 1}: ${gap} ms, expected about ${expected[k]}`);
    });
  });
});
