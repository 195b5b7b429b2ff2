// Folder sync under network faults, against the real Dovecot on loopback
// (test/support/servers/mailservers.ts) with a cutting proxy in front of its IMAP
// port (test/support/cutting-proxy.ts): connections cut during the login,
// during the first batch, in the middle of a first sync and during the flags
// step of an incremental sync; a server that goes silent mid-FETCH; Dovecot
// restarted mid-sync; a server that accepts and never speaks. Each fault
// must fail the sync with a retryable registry error within its time bound,
// leave whole batches and the old folder state, and the next sync must end
// with exactly the server's messages and flags and the folder state
// advanced. Skipped, with the reason, where the servers cannot run.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import type { ImapFlow } from 'imapflow';
import { mailServersAvailable, startMailServers, type MailServers } from '../../support/servers/mailservers.ts';
import { startCuttingProxy, startSilentServer, type CuttingProxy } from '../../support/cutting-proxy.ts';
import { addTestAccount, asOtherClient } from '../../support/imap-peer.ts';
import { SealpostError } from '../../../app/errors.ts';
import { openStore } from '../../../main/store/database.ts';
import { getFolder, upsertFolder, type FolderRow } from '../../../main/store/folders.ts';
import { knownUids, listMessages } from '../../../main/store/messages.ts';
import type { Account } from '../../../main/accounts/accounts.ts';
import { closeImap, connectImap, type ImapSession, type SyncTimeouts } from '../../../main/mail/imap-session.ts';
import { syncFolder } from '../../../main/sync/folder-sync.ts';

const USER = 'faults@sealpost.test';
const PASSWORD = 'faults-pässword-1';
const SEEDED = 500;
const BATCH = 25;
const skip = mailServersAvailable();

/** Short limits, so that a fault that is not noticed fails the test instead of hanging it. */
const TIMEOUTS: SyncTimeouts = { connectionMs: 3_000, greetingMs: 3_000, socketMs: 3_000, stepMs: 15_000 };
/** A fault must be noticed within this (the socket timeout and some). */
const FAIL_WITHIN_MS = 6_000;

function message(i: number): Buffer {
  return Buffer.from(
    [
      'From: Alice <alice@example.test>',
      `To: Faults <${USER}>`,
      `Subject: message ${String(i).padStart(4, '0')} ${'padding '.repeat(i % 7)}`,
      `Date: ${new Date(Date.UTC(2024, 0, 1, 0, i)).toUTCString().replace('GMT', '+0000')}`,
      `Message-ID: <f${i}@example.test>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `text ${i}`,
      '',
    ].join('\r\n'),
    'utf8',
  );
}

/** Seeded flags: some read, some flagged, so that flags are worth comparing. */
const seedFlags = (i: number): string[] => [...(i % 3 === 0 ? ['\\Seen'] : []), ...(i % 10 === 0 ? ['\\Flagged'] : [])];

interface ServerView {
  uids: number[];
  flags: Map<number, string[]>;
  uidNext: number;
  uidValidity: string;
  highestModseq: string;
}

/** Flags as compared: \Recent belongs to a session, not to the message (RFC 3501, 2.3.2). */
const comparable = (flags: Iterable<string>) => [...flags].filter((f) => f !== '\\Recent').sort();

/** A network failure as the registry has it: retryable, one of the network codes. */
function isRetryableNetworkError(e: unknown): true {
  assert.ok(e instanceof SealpostError, `a registry error, not ${String(e)}`);
  assert.ok(e.retryable, `retryable: ${e.code} ${e.message}`);
  assert.ok(['network-unavailable', 'network-timeout', 'network-temporary'].includes(e.code), e.code);
  return true;
}

/** Awaits a promise that must fail with a retryable network error within `ms`. */
async function failsWithin<T>(ms: number, work: Promise<T>): Promise<SealpostError> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), ms);
  });
  try {
    const outcome = await Promise.race([
      work.then(
        () => 'done' as const,
        (e: unknown) => e,
      ),
      bound,
    ]);
    assert.notEqual(outcome, 'hang', `no failure within ${ms} ms`);
    assert.notEqual(outcome, 'done', 'the work succeeded despite the fault');
    isRetryableNetworkError(outcome);
    assert.ok(Date.now() - started < ms);
    return outcome as SealpostError;
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}

/** The session, with `onStep(what, n)` called as each network step of the given kind starts (n counts from 1). */
function hooked(session: ImapSession, kind: string, onStep: (n: number) => void | Promise<void>): ImapSession {
  let n = 0;
  return {
    client: session.client,
    endpoint: session.endpoint,
    timeouts: session.timeouts,
    step: async (what, work) => {
      if (what.startsWith(kind)) await onStep(++n);
      return session.step(what, work);
    },
  };
}

describe('IMAP sync under network faults (real Dovecot)', { skip: skip ?? false, timeout: 90_000 }, () => {
  let servers: MailServers;
  let proxy: CuttingProxy;
  const homes: string[] = [];
  const dbs: DatabaseSync[] = [];
  const sessions: ImapSession[] = [];

  /** A connection of "another client" straight to Dovecot, closed after `work`. */
  const asOther = <T>(work: (client: ImapFlow) => Promise<T>): Promise<T> => asOtherClient(servers, USER, PASSWORD, work);

  async function serverView(): Promise<ServerView> {
    return asOther(async (client) => {
      const status = await client.status('INBOX', { uidNext: true, uidValidity: true, highestModseq: true });
      assert.ok(status, 'STATUS of INBOX');
      const lock = await client.getMailboxLock('INBOX', { readOnly: true });
      try {
        const flags = new Map<number, string[]>();
        for await (const m of client.fetch('1:*', { uid: true, flags: true })) flags.set(m.uid, comparable(m.flags ?? []));
        return {
          uids: [...flags.keys()].sort((a, b) => a - b),
          flags,
          uidNext: status.uidNext!,
          uidValidity: String(status.uidValidity),
          highestModseq: String(status.highestModseq),
        };
      } finally {
        lock.release();
      }
    });
  }

  /** A store of its own with one account, through the proxy unless told otherwise. */
  async function newStore(target: { port: number } = proxy): Promise<{ db: DatabaseSync; account: Account; inbox: FolderRow }> {
    const home = mkdtempSync(join(tmpdir(), 'sealpost-faults-'));
    homes.push(home);
    const db = openStore(home);
    dbs.push(db);
    const account = await addTestAccount(db, servers, USER, PASSWORD, { imapPort: target.port });
    const inbox = upsertFolder(db, account.id, { path: 'INBOX', role: 'inbox' });
    return { db, account, inbox };
  }

  async function connect(account: Account, timeouts = TIMEOUTS): Promise<ImapSession> {
    const session = await connectImap(account, PASSWORD, timeouts);
    sessions.push(session);
    return session;
  }

  /** The store holds exactly the server's messages, each once, with the server's flags, and the state of a complete sync. */
  async function assertInSync(db: DatabaseSync, inbox: FolderRow): Promise<ServerView> {
    const server = await serverView();
    const rows = listMessages(db, inbox.id, { limit: 100_000 });
    assert.deepEqual(knownUids(db, inbox.id).map(Number), server.uids, 'the UIDs the server has, no more, no fewer');
    assert.equal(rows.length, server.uids.length);
    assert.equal(new Set(rows.map((m) => m.messageId)).size, rows.length, 'no message stored twice');
    for (const m of rows) assert.deepEqual(comparable(m.flags), server.flags.get(Number(m.uid)), `flags of UID ${m.uid}`);
    const folder = getFolder(db, inbox.id)!;
    assert.equal(folder.uidvalidity, server.uidValidity);
    assert.equal(folder.uidnext, String(server.uidNext), 'the folder state advanced to the server');
    assert.equal(folder.highestmodseq, server.highestModseq);
    assert.equal(folder.totalCount, server.uids.length);
    return server;
  }

  before(async () => {
    servers = await startMailServers();
    await servers.addUser(USER, PASSWORD);
    // One connection, one APPEND per message (RFC 3501, 6.3.11), flags set as they are stored.
    await asOther(async (client) => {
      for (let i = 1; i <= SEEDED; i++) await client.append('INBOX', message(i), seedFlags(i), new Date(Date.UTC(2024, 0, 1, 0, i)));
    });
    proxy = await startCuttingProxy(servers.imap);
  });

  after(async () => {
    for (const session of sessions) await closeImap(session).catch(() => undefined);
    await proxy?.close();
    for (const db of dbs) db.close();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
    await servers?.close();
  });

  test('the seeded mailbox', async () => {
    const server = await serverView();
    assert.equal(server.uids.length, SEEDED);
    assert.deepEqual(server.flags.get(server.uids[29]!), ['\\Flagged', '\\Seen']);
  });

  test('a cut during the login fails the connection with a retryable error', { timeout: 15_000 }, async () => {
    const { account } = await newStore();
    const cuts = proxy.cuts;
    // The greeting and the start of the TLS handshake after STARTTLS.
    const cut = proxy.cutAfter(300);
    await failsWithin(
      FAIL_WITHIN_MS,
      connectImap(account, PASSWORD, TIMEOUTS).then(async (s) => closeImap(s)),
    );
    await cut;
    assert.equal(proxy.cuts, cuts + 1);
  });

  test('a cut during the first batch stores nothing; the next sync stores everything', { timeout: 30_000 }, async () => {
    const { db, account, inbox } = await newStore();
    // Anywhere in the answer to the first FETCH (a batch of 25 is several kilobytes): at its
    // first byte, inside a TLS record, a few records in; reset or closed.
    const points: [number, 'reset' | 'end'][] = [
      [0, 'reset'],
      [37, 'end'],
      [1_500, 'reset'],
      [4_000, 'end'],
    ];
    for (const [bytes, kind] of points) {
      const session = await connect(account);
      const cuts = proxy.cuts;
      let cut: Promise<void> | undefined;
      const faulty = hooked(session, 'reading messages', (n) => {
        if (n === 1) cut = proxy.cutAfter(bytes, kind);
      });
      const e = await failsWithin(FAIL_WITHIN_MS, syncFolder(db, faulty, inbox, { batchSize: BATCH }));
      assert.equal(e.code, 'network-unavailable', `${e.message} (cut after ${bytes} bytes, ${kind})`);
      await cut;
      assert.equal(proxy.cuts, cuts + 1);
      assert.equal(knownUids(db, inbox.id).length, 0, 'no part of a batch');
      assert.equal(getFolder(db, inbox.id)!.uidnext, null, 'the folder state did not advance');
    }

    const again = await connect(account);
    const result = await syncFolder(db, again, inbox, { batchSize: BATCH });
    assert.equal(result.added, SEEDED);
    await assertInSync(db, inbox);
  });

  test('a cut in the middle of a first sync keeps whole batches; changes meanwhile are picked up', { timeout: 30_000 }, async () => {
    const { db, account, inbox } = await newStore();
    const session = await connect(account);
    let cut: Promise<void> | undefined;
    const faulty = hooked(session, 'reading messages', (n) => {
      if (n === 8) cut = proxy.cutAfter(3_000, 'end');
    });
    await failsWithin(FAIL_WITHIN_MS, syncFolder(db, faulty, inbox, { batchSize: BATCH }));
    await cut;
    const before = await serverView();
    const stored = knownUids(db, inbox.id).map(Number);
    assert.deepEqual(stored, before.uids.slice(-7 * BATCH), 'the seven newest batches, whole');
    assert.equal(getFolder(db, inbox.id)!.uidnext, null);

    // Meanwhile another client: flags on stored and unstored messages, expunges of both, new mail.
    const [storedA, storedB, storedC] = [stored[0]!, stored[50]!, stored[100]!];
    const [unstoredA, unstoredB] = [before.uids[0]!, before.uids[100]!];
    await asOther(async (client) => {
      const lock = await client.getMailboxLock('INBOX');
      try {
        assert.ok(await client.messageFlagsAdd(`${storedA},${unstoredA}`, ['\\Answered'], { uid: true }));
        assert.ok(await client.messageFlagsRemove(String(storedB), ['\\Seen', '\\Flagged'], { uid: true }));
        assert.ok(await client.messageDelete(`${storedC},${unstoredB}`, { uid: true }));
      } finally {
        lock.release();
      }
      await client.append('INBOX', message(SEEDED + 1), []);
      await client.append('INBOX', message(SEEDED + 2), ['\\Seen']);
    });

    const again = await connect(account);
    const result = await syncFolder(db, again, inbox, { batchSize: BATCH });
    assert.equal(result.removed, 1, 'the stored message that was expunged');
    assert.equal(result.added, SEEDED - 7 * BATCH - 1 + 2);
    await assertInSync(db, inbox);
  });

  test(
    'a cut during the flags step of an incremental sync keeps the old state; the next sync reads every change',
    { timeout: 30_000 },
    async () => {
      const { db, account, inbox } = await newStore();
      await syncFolder(db, await connect(account), inbox, { batchSize: 100 });
      const synced = await assertInSync(db, inbox);
      const state = getFolder(db, inbox.id)!;

      // Every message changes (a FETCH CHANGEDSINCE answer of tens of kilobytes), and one is new.
      await asOther(async (client) => {
        const lock = await client.getMailboxLock('INBOX');
        try {
          assert.ok(await client.messageFlagsAdd('1:*', ['$Label1']));
        } finally {
          lock.release();
        }
        await client.append('INBOX', message(SEEDED + 3), ['\\Flagged']);
      });

      const session = await connect(account);
      let cut: Promise<void> | undefined;
      let flagSteps = 0;
      const faulty = hooked(session, 'reading changed flags', (n) => {
        flagSteps = n;
        cut = proxy.cutAfter(2_000);
      });
      await failsWithin(FAIL_WITHIN_MS, syncFolder(db, faulty, inbox, { batchSize: BATCH }));
      await cut;
      assert.equal(flagSteps, 1, 'the cut came in the flags step');
      assert.deepEqual(getFolder(db, inbox.id), state, 'the folder state did not advance');
      assert.deepEqual(knownUids(db, inbox.id).map(Number), synced.uids, 'nothing added or lost');

      const again = await connect(account);
      const result = await syncFolder(db, again, inbox, { batchSize: BATCH });
      assert.equal(result.condstore, true);
      assert.equal(result.flagsUpdated, synced.uids.length, 'every change since the old HIGHESTMODSEQ');
      assert.equal(result.added, 1);
      const server = await assertInSync(db, inbox);
      assert.ok(
        listMessages(db, inbox.id, { limit: 100_000 }).every((m) => m.flags.includes('$Label1') || Number(m.uid) === server.uids.at(-1)),
      );
    },
  );

  test('a server that goes silent mid-FETCH fails the sync within the socket timeout', { timeout: 30_000 }, async () => {
    const { db, account, inbox } = await newStore();
    const short: SyncTimeouts = { ...TIMEOUTS, socketMs: 1_000 };
    const session = await connect(account, short);
    const faulty = hooked(session, 'reading messages', (n) => {
      if (n === 3) proxy.freeze();
    });
    const started = Date.now();
    try {
      const e = await failsWithin(FAIL_WITHIN_MS, syncFolder(db, faulty, inbox, { batchSize: BATCH }));
      assert.equal(e.code, 'network-timeout');
      assert.ok(Date.now() - started >= 1_000, 'not before the silence lasted the socket timeout');
    } finally {
      proxy.thaw();
    }
    assert.equal(knownUids(db, inbox.id).length, 2 * BATCH);
    assert.equal(getFolder(db, inbox.id)!.uidnext, null);
    await syncFolder(db, await connect(account), inbox, { batchSize: BATCH });
    await assertInSync(db, inbox);
  });

  test('Dovecot restarted mid-sync: the sync fails cleanly, the next one completes', { timeout: 45_000 }, async () => {
    const { db, account, inbox } = await newStore(servers.imap);
    const session = await connect(account);
    let restart: Promise<void> | undefined;
    const closed = new Promise<void>((resolve) => session.client.once('close', resolve));
    const faulty = hooked(session, 'reading messages', async (n) => {
      if (n === 4) restart = servers.restartDovecot();
      // Later batches wait for the restart to reach this connection (bounded), so the
      // sync cannot outrun it; the batch in flight when it lands fails as it may.
      if (n > 4) await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    });
    try {
      await failsWithin(20_000, syncFolder(db, faulty, inbox, { batchSize: 5 }));
    } finally {
      await restart;
    }
    const stored = knownUids(db, inbox.id).length;
    assert.ok(stored >= 3 * 5 && stored % 5 === 0, `whole batches only (${stored})`);
    assert.equal(getFolder(db, inbox.id)!.uidnext, null);

    const again = await connect(account);
    const result = await syncFolder(db, again, inbox, { batchSize: 100 });
    assert.equal(result.added + stored, (await serverView()).uids.length);
    await assertInSync(db, inbox);
  });

  test('a server that accepts the connection and says nothing: the connection fails within its timeouts', { timeout: 15_000 }, async () => {
    const silent = await startSilentServer();
    try {
      const { account } = await newStore(silent);
      const timeouts: SyncTimeouts = { connectionMs: 1_000, greetingMs: 1_000, socketMs: 1_000, stepMs: 3_000 };
      const started = Date.now();
      const e = await failsWithin(
        4_000,
        connectImap(account, PASSWORD, timeouts).then(async (s) => closeImap(s)),
      );
      assert.equal(e.code, 'network-timeout');
      assert.ok(Date.now() - started >= 900, 'the greeting was waited for');
      assert.equal(silent.accepted, 1);
    } finally {
      await silent.close();
    }
  });
});
