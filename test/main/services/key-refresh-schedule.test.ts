// The app's daily key refresh, driven by hand-fired timers and a clock of the
// test's own, against the VKS stand-in of test/support/keyservers.ts (HTTPS
// on 127.0.0.1 with a CA of this run) and the real keyring worker, keys made
// by GnuPG: nothing at start, a revocation picked up by the scheduled run and
// announced, each key asked at most daily, never two runs at once, the
// setting obeyed, offline logged quietly, stopped cleanly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { tempDir, type TempDir } from '../../support/cli.ts';
import { gpgMakeKey, gpgRevoke, makeTestPki, startVks, type GpgKey, type VksStandIn } from '../../support/keyservers.ts';
import type { Fetcher } from '../../../main/discovery/http.ts';
import { startKeyringWorker, type RunningKeyring } from '../../../main/keyring-host/worker-keyring.ts';
import { recipientKey } from '../../../main/pgp-mime/write/recipient-keys.ts';
import {
  FIRST_REFRESH_DELAY_MS,
  KeyRefreshSchedule,
  REFRESH_CHECK_INTERVAL_MS,
  type KeyRefreshScheduleOptions,
  type ScheduleTimers,
} from '../../../main/services/key-refresh-schedule.ts';

const HOUR = 60 * 60 * 1000;

let dir: TempDir;
let gnupg: string;
let ca: string;
let vks: VksStandIn;
let keyring: RunningKeyring;
let ann: GpgKey;

/** node:https trusting only this run's CA: the real TLS checks, against the stand-in. */
const fetcher: Fetcher = (href, init) =>
  new Promise((resolve, reject) => {
    const url = new URL(href);
    const req = request(
      url,
      {
        method: init.method ?? 'GET',
        headers: Object.fromEntries(new Headers(init.headers).entries()),
        ca,
        signal: init.signal ?? undefined,
        agent: false,
      },
      (res) => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v);
        resolve(new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, { status: res.statusCode ?? 0, headers: h }));
      },
    );
    req.on('error', reject);
    req.end();
  });

/** Timers the test fires by hand: what is pending, with its delay, and what was cleared. */
function handTimers() {
  let next = 0;
  const pending = new Map<number, { run: () => void; ms: number }>();
  const timers: ScheduleTimers = {
    set: (run, ms) => {
      pending.set(++next, { run, ms });
      return next;
    },
    clear: (handle) => void pending.delete(handle as number),
  };
  return {
    timers,
    pending,
    /** Fires the one pending timer (there must be exactly one) and gives its delay. */
    fire(): number {
      assert.equal(pending.size, 1, 'exactly one timer pending');
      const [id, timer] = [...pending][0]!;
      pending.delete(id);
      timer.run();
      return timer.ms;
    },
  };
}

/** Waits until the schedule has timed its next look (after a run ends). */
async function nextTimer(hand: ReturnType<typeof handTimers>): Promise<number> {
  for (let i = 0; i < 100 && hand.pending.size === 0; i++) await new Promise((r) => setImmediate(r));
  assert.equal(hand.pending.size, 1, 'the next look is timed');
  return [...hand.pending.values()][0]!.ms;
}

before(
  async () => {
    dir = await tempDir('sealpost-key-refresh-schedule-');
    gnupg = join(dir.path, 'gnupg');
    mkdirSync(gnupg, { mode: 0o700 });
    const pki = makeTestPki(dir.path, 'ks', ['localhost']);
    ca = pki.ca;
    vks = await startVks(pki, gnupg);
    ann = gpgMakeKey(gnupg, 'Ann <ann@example.org>');
    vks.publish(ann.armored, ann.fpr, ann.emails);
    keyring = startKeyringWorker(join(dir.path, 'profile'));
    // Learned from the VKS server, as a lookup would have imported it.
    await keyring.client.call('keys.import', { data: Buffer.from(ann.armored), source: 'vks' });
  },
  { timeout: 120_000 },
);

after(async () => {
  await keyring?.close();
  await vks?.close();
  await dir?.cleanup();
});

test('the scheduled run picks up a revocation, announces it, and asks each key at most daily', { timeout: 60_000 }, async () => {
  let clock = Date.parse('2026-12-01T08:00:00Z');
  const hand = handTimers();
  const changed: string[][] = [];
  const logged: string[] = [];
  let enabled = true;
  const options: KeyRefreshScheduleOptions = {
    keyring: () => keyring.client,
    lookup: { fetcher, keyservers: [`https://localhost:${vks.port}`] },
    enabled: async () => enabled,
    changed: (fprs) => void changed.push(fprs),
    log: (m) => void logged.push(m),
    timers: hand.timers,
    now: () => new Date(clock),
  };
  const schedule = new KeyRefreshSchedule(options);
  const asked = () => vks.requests.filter((r) => r === `GET /vks/v1/by-fingerprint/${ann.fpr}`).length;
  try {
    // Start-up: nothing on the network yet, the first run a few minutes away.
    const before = vks.requests.length;
    schedule.start();
    schedule.start();
    assert.equal(hand.pending.size, 1, 'started once');
    assert.equal(vks.requests.length, before);

    // Revoked on the server meanwhile; the first scheduled run brings it in and says so.
    vks.publish(gpgRevoke(gnupg, ann.fpr), ann.fpr, ann.emails);
    clock += FIRST_REFRESH_DELAY_MS;
    assert.equal(hand.fire(), FIRST_REFRESH_DELAY_MS);
    const first = await schedule.runNow();
    assert.deepEqual(
      first?.map((r) => [r.fingerprint, r.source, r.changes, r.error]),
      [[ann.fpr, 'vks', ['revoked'], undefined]],
    );
    assert.deepEqual(changed, [[ann.fpr]], 'announced as keys.refresh announces it');
    assert.equal(asked(), 1);
    assert.equal((await keyring.client.call('keys.show', { query: ann.fpr })).revoked, true);
    const choice = await recipientKey(keyring.client, 'ann@example.org', clock);
    assert.ok(!('key' in choice), 'the revoked key is no longer used');
    assert.deepEqual(logged, []);

    // A few hours later: looked again, but the key was refreshed today, so nobody is asked.
    assert.equal(await nextTimer(hand), REFRESH_CHECK_INTERVAL_MS);
    clock += REFRESH_CHECK_INTERVAL_MS;
    hand.fire();
    assert.deepEqual(await schedule.runNow(), []);
    assert.equal(asked(), 1);

    // A day on: asked again; nothing changed, nothing announced.
    await nextTimer(hand);
    clock += 21 * HOUR;
    hand.fire();
    assert.deepEqual(
      (await schedule.runNow())?.map((r) => r.changes),
      [[]],
    );
    assert.equal(asked(), 2);
    assert.equal(changed.length, 1);

    // Never two runs at once: asked while one runs, the same run answers.
    await nextTimer(hand);
    clock += 25 * HOUR;
    const a = schedule.runNow();
    const b = schedule.runNow();
    assert.equal(a, b);
    await a;
    assert.equal(asked(), 3);

    // Switched off in Settings: the look does nothing, and the schedule keeps looking (the user may switch it on).
    enabled = false;
    clock += 25 * HOUR;
    hand.fire();
    assert.equal(await schedule.runNow(), null);
    assert.equal(asked(), 3);
    assert.equal(await nextTimer(hand), REFRESH_CHECK_INTERVAL_MS);
  } finally {
    await schedule.stop();
  }
  assert.equal(hand.pending.size, 0, 'stopped: no timer left');
  assert.equal(await schedule.runNow(), null, 'no run after stop');
});

test(
  'offline: the run is logged in one quiet line, nothing thrown or announced, the key tried at the next look',
  { timeout: 60_000 },
  async () => {
    const hand = handTimers();
    const changed: string[][] = [];
    const logged: string[] = [];
    // Well past the other test's refreshes, so the key is due.
    let clock = Date.parse('2027-02-01T08:00:00Z');
    const schedule = new KeyRefreshSchedule({
      keyring: () => keyring.client,
      // A port where nothing listens: the connection is refused, as offline.
      lookup: { fetcher, keyservers: ['https://localhost:9'], timeoutMs: 5000 },
      changed: (fprs) => void changed.push(fprs),
      log: (m) => void logged.push(m),
      timers: hand.timers,
      now: () => new Date(clock),
    });
    try {
      schedule.start();
      hand.fire();
      const reports = await schedule.runNow();
      assert.equal(reports?.length, 1);
      assert.equal(reports[0]!.fingerprint, ann.fpr);
      assert.match(reports[0]!.error!.code, /^network-/);
      assert.equal(logged.length, 1);
      assert.match(logged[0]!, /^key refresh: 1 of 1 source\(s\) not reached or refused \(network-[a-z-]+\); tried again later$/);
      assert.doesNotMatch(logged[0]!, new RegExp(ann.fpr), 'no key named in the log');
      assert.deepEqual(changed, []);
      // Not marked refreshed: the next look (hours later, not a day) asks again.
      await nextTimer(hand);
      clock += REFRESH_CHECK_INTERVAL_MS;
      hand.fire();
      assert.equal((await schedule.runNow())?.length, 1);
      assert.equal(logged.length, 2);
    } finally {
      await schedule.stop();
    }

    // A keyring that cannot be reached (the app quitting): logged, not thrown.
    const broken = new KeyRefreshSchedule({
      keyring: () => {
        throw new Error('keyring gone');
      },
      changed: () => assert.fail('nothing to announce'),
      log: (m) => void logged.push(m),
      timers: handTimers().timers,
    });
    assert.equal(await broken.runNow(), null);
    assert.equal(logged.at(-1), 'key refresh did not run: internal');
  },
);

test('stop waits for the running refresh; real timers do not keep the process alive', { timeout: 60_000 }, async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const hand = handTimers();
  const schedule = new KeyRefreshSchedule({
    keyring: () => keyring.client,
    lookup: { fetcher, keyservers: [`https://localhost:${vks.port}`] },
    // The run waits here, as a slow keyserver would hold it.
    enabled: async () => {
      await held;
      return true;
    },
    changed: () => {},
    log: () => {},
    timers: hand.timers,
    now: () => new Date(Date.parse('2027-06-01T08:00:00Z')),
  });
  schedule.start();
  hand.fire();
  const requests = vks.requests.length;
  let stopped = false;
  const stopping = schedule.stop().then(() => (stopped = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(stopped, false, 'stop waits for the run');
  release();
  await stopping;
  assert.equal(hand.pending.size, 0, 'no next look after stop');
  assert.equal(vks.requests.length, requests, 'stopped before it went to the network: it does not go');

  // The default timers are unref'd: a pending first run holds no event loop open.
  const timeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const count = timeouts();
  const real = new KeyRefreshSchedule({ keyring: () => keyring.client, changed: () => {}, log: () => {} });
  real.start();
  assert.equal(timeouts(), count);
  await real.stop();
});
