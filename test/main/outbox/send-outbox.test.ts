// The outbox sender's states under faults a real Postfix cannot be made to
// show on demand (a 451 to DATA, a 550 to one RCPT, a sender that died in
// the middle), with a small scripted SMTP server on loopback. The real
// Postfix paths (delivered, down then up, unknown user) are in
// test/main/outbox/send-receive.test.ts.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DatabaseSync } from 'node:sqlite';
import { openStore } from '../../../main/store/database.ts';
import { claimOutbox, enqueueOutbox, getOutbox, listOutbox } from '../../../main/store/outbox.ts';
import { listActions } from '../../../main/store/pending-actions.ts';
import { Accounts, type Account } from '../../../main/accounts/accounts.ts';
import { MemorySecretStore } from '../../../main/accounts/secret-store.ts';
import { INTERRUPTED_AFTER_MS, retryDelay, sendOutbox, type SendTimeouts } from '../../../main/outbox/send-outbox.ts';
import { INTERRUPTED_MESSAGE } from '../../../main/store/outbox.ts';
import { tempHome } from '../../support/store/helpers.ts';
import { ScriptedSmtp } from '../../support/scripted-smtp.ts';

const TIMEOUTS: SendTimeouts = { connectionMs: 5_000, greetingMs: 5_000, socketMs: 5_000, messageMs: 10_000 };
const message = (n: number) =>
  new TextEncoder().encode(
    `From: a@example.test\r\nTo: b@example.test\r\nSubject: ${n}\r\nMessage-ID: <m${n}@example.test>\r\n\r\nbody ${n}\r\n`,
  );

describe('the outbox sender under SMTP faults', { timeout: 60_000 }, () => {
  let smtp: ScriptedSmtp;
  let home: { home: string; cleanup(): void };
  let db: DatabaseSync;
  let account: Account;
  let n = 0;
  const queue = () =>
    enqueueOutbox(db, {
      accountId: account.id,
      raw: message(++n),
      envelope: { from: 'a@example.test', to: ['b@example.test'] },
      messageId: `<m${n}@example.test>`,
    });

  before(async () => {
    smtp = new ScriptedSmtp();
    await smtp.start();
    home = tempHome('sealpost-outbox-');
    db = openStore(home.home);
    account = await new Accounts(db, new MemorySecretStore()).add({
      email: 'a@example.test',
      imap: 'imaps://127.0.0.1:1',
      smtp: `smtp://127.0.0.1:${smtp.port}?tls=off`,
      user: 'a@example.test',
      password: 'pw',
    });
  });

  beforeEach(() => {
    smtp.script = () => null;
    smtp.connections = 0;
    smtp.delivered.length = 0;
    db.exec('DELETE FROM pending_actions; DELETE FROM outbox;');
  });

  after(async () => {
    db?.close();
    home?.cleanup();
    await smtp?.stop();
  });

  test('retry delays double from one minute and stop at one hour', () => {
    assert.deepEqual([1, 2, 3, 4, 7, 8, 50].map(retryDelay), [60_000, 120_000, 240_000, 480_000, 3_600_000, 3_600_000, 3_600_000]);
  });

  test('sent: the bytes go out unchanged, the state is sent, and the Sent copy is queued in the same step', async () => {
    const item = queue();
    const run = await sendOutbox(db, account, 'pw', { timeouts: TIMEOUTS });
    assert.equal(run.reports.length, 1);
    assert.equal(run.reports[0]!.state, 'sent');
    assert.equal(smtp.delivered.length, 1);
    assert.equal(smtp.delivered[0], Buffer.from(message(n)).toString('latin1').replace(/\r\n$/, ''));
    assert.equal(getOutbox(db, item.id)!.state, 'sent');
    assert.deepEqual(
      listActions(db, account.id).map((a) => a.kind),
      ['append-sent'],
    );
  });

  test('a 451 to DATA keeps the message queued with its reason and backs off; the run stops there', async () => {
    const first = queue();
    const second = queue();
    smtp.script = (c) => (c === 'DATA' ? '451 4.3.0 try later' : null);
    let now = Date.now();
    const run = await sendOutbox(db, account, 'pw', { timeouts: TIMEOUTS, now: () => now });
    assert.equal(run.reports.length, 1, 'the second message is not tried on a failing server');
    assert.equal(run.reports[0]!.error?.code, 'network-temporary');
    const after1 = getOutbox(db, first.id)!;
    assert.equal(after1.state, 'queued');
    assert.equal(after1.attempts, 1);
    assert.equal(after1.nextAttemptAt, now + 60_000);
    assert.match(after1.lastError!, /451/);
    assert.equal(getOutbox(db, second.id)!.attempts, 0);

    // The next run tries the message that never was; the first waits for its time.
    now += 30_000;
    const next = await sendOutbox(db, account, 'pw', { timeouts: TIMEOUTS, now: () => now });
    assert.deepEqual(
      next.reports.map((r) => r.id),
      [second.id],
    );
    assert.equal(getOutbox(db, first.id)!.attempts, 1);

    // Nothing due: nothing is tried, not even a connection.
    smtp.connections = 0;
    now += 20_000;
    assert.equal((await sendOutbox(db, account, 'pw', { timeouts: TIMEOUTS, now: () => now })).reports.length, 0);
    assert.equal(smtp.connections, 0);

    // Due: fails again, the delay doubles.
    now += 10_000;
    await sendOutbox(db, account, 'pw', { timeouts: TIMEOUTS, now: () => now });
    assert.equal(getOutbox(db, first.id)!.attempts, 2);
    assert.equal(getOutbox(db, first.id)!.nextAttemptAt, now + 120_000);

    // The server is well again and the user asks now: both go, in order, once each.
    smtp.script = () => null;
    const good = await sendOutbox(db, account, 'pw', { timeouts: TIMEOUTS, now: () => now, ignoreBackoff: true });
    assert.deepEqual(
      good.reports.map((r) => [r.id, r.state]),
      [
        [first.id, 'sent'],
        [second.id, 'sent'],
      ],
    );
    assert.equal(smtp.delivered.length, 2);
  });

  test('a 550 to the only recipient fails the message for good; one refused recipient of two is reported, the other gets it', async () => {
    const item = queue();
    smtp.script = (c) => (c.startsWith('RCPT') ? '550 5.1.1 no such user' : null);
    const run = await sendOutbox(db, account, 'pw', { timeouts: TIMEOUTS });
    assert.equal(run.reports[0]!.error?.code, 'network-rejected');
    assert.equal(getOutbox(db, item.id)!.state, 'failed');
    assert.equal(getOutbox(db, item.id)!.lastErrorCode, 'network-rejected');

    const two = enqueueOutbox(db, {
      accountId: account.id,
      raw: message(++n),
      envelope: { from: 'a@example.test', to: ['b@example.test', 'gone@example.test'] },
    });
    smtp.script = (c) => (c.startsWith('RCPT') && c.includes('gone@') ? '550 5.1.1 no such user' : null);
    const partial = await sendOutbox(db, account, 'pw', { timeouts: TIMEOUTS });
    const report = partial.reports.find((r) => r.id === two.id)!;
    assert.equal(report.state, 'sent');
    assert.deepEqual(report.rejected, ['gone@example.test']);
  });

  test('an unreachable server keeps everything queued', async () => {
    const item = queue();
    const down = { ...account, smtp: { ...account.smtp, port: 1 } };
    const run = await sendOutbox(db, down, 'pw', { timeouts: TIMEOUTS });
    assert.equal(run.reports[0]!.error?.code, 'network-unavailable');
    assert.equal(getOutbox(db, item.id)!.state, 'queued');
  });

  test('a message left in "sending" by a sender that died is marked failed, never sent again unasked', async () => {
    const item = queue();
    const startedAt = 5_000_000;
    claimOutbox(db, item.id, startedAt); // the process dies here, after the claim
    // Shortly after, another run leaves it alone (its sender may still be at work).
    let run = await sendOutbox(db, account, 'pw', { timeouts: TIMEOUTS, now: () => startedAt + 60_000, ignoreBackoff: true });
    assert.equal(run.recovered, 0);
    assert.equal(getOutbox(db, item.id)!.state, 'sending');
    run = await sendOutbox(db, account, 'pw', { timeouts: TIMEOUTS, now: () => startedAt + INTERRUPTED_AFTER_MS + 1, ignoreBackoff: true });
    assert.equal(run.recovered, 1);
    const failed = getOutbox(db, item.id)!;
    assert.equal(failed.state, 'failed');
    assert.equal(failed.lastError, INTERRUPTED_MESSAGE);
    assert.equal(smtp.delivered.length, 0, 'not sent again');
    assert.deepEqual(listOutbox(db, { states: ['queued'] }), []);
  });
});
