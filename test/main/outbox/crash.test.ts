// A `sealpost send` killed (SIGKILL) at the worst moment: the server has the
// whole message and has not answered yet. Nothing is lost: the message is
// still in the outbox, byte for byte, in `sending`; it is not sent again on
// its own (the server may have taken it); once it is old enough to be
// called interrupted it is marked failed with a reason, and the user's retry
// sends it exactly once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../main/store/database.ts';
import { Accounts, type Account } from '../../../main/accounts/accounts.ts';
import { PassphraseSecretStore } from '../../../main/accounts/secret-store.ts';
import { getOutbox, listOutbox, requeueOutbox } from '../../../main/store/outbox.ts';
import { INTERRUPTED_AFTER_MS, sendOutbox } from '../../../main/outbox/send-outbox.ts';
import { REPO_ROOT, SEALPOST_ENTRY, runSealpost } from '../../support/cli.ts';
import { HANG, ScriptedSmtp } from '../../support/scripted-smtp.ts';

const STORE_PASSPHRASE = 'crash test store passphrase';
const ENV = { SEALPOST_SECRETS_PASSPHRASE: STORE_PASSPHRASE };
let smtp: ScriptedSmtp;
let home: string;
let account: Account;

before(async () => {
  smtp = new ScriptedSmtp();
  await smtp.start();
  home = mkdtempSync(join(tmpdir(), 'sealpost-crash-'));
  const db = openStore(home);
  try {
    // The account straight into the profile: `account add` would log in to an IMAP server this test does not need.
    account = await new Accounts(db, new PassphraseSecretStore(home, STORE_PASSPHRASE)).add({
      email: 'crash@example.test',
      imap: 'imap://127.0.0.1:1?tls=off',
      smtp: `smtp://127.0.0.1:${smtp.port}?tls=off`,
      user: 'crash@example.test',
      password: 'smtp password',
    });
  } finally {
    db.close();
  }
});

after(async () => {
  await smtp?.stop();
  if (home) rmSync(home, { recursive: true, force: true });
});

test(
  'killed after the server has the message and before it answered: kept, not resent unasked, retried once on request',
  { timeout: 60_000 },
  async () => {
    smtp.script = (c) => (c === '.' ? HANG : null);
    const body = join(home, 'body.txt');
    writeFileSync(body, 'the message that must not be lost\n');
    const child = spawn(
      process.execPath,
      [
        SEALPOST_ENTRY,
        '--home',
        home,
        'send',
        '--from',
        'crash@example.test',
        '--to',
        'peer@example.test',
        '--subject',
        'crash',
        '--body-file',
        body,
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, ...ENV },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
    try {
      const deadline = Date.now() + 30_000;
      while (smtp.received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(smtp.received.length, 1, 'the server has the whole message');
    } finally {
      child.kill('SIGKILL');
    }
    assert.equal(await exited, 'SIGKILL');

    const listed = await runSealpost(['outbox', '--json'], { home, env: ENV });
    assert.equal(listed.code, 0, listed.stderr);
    const [entry] = JSON.parse(listed.stdout.toString()) as Array<{ id: number; state: string }>;
    assert.equal(entry!.state, 'sending', 'still there, in the state it was in');

    const db = openStore(home);
    try {
      const kept = getOutbox(db, entry!.id)!;
      assert.equal(Buffer.from(kept.raw).toString('latin1').replace(/\r\n$/, ''), smtp.received[0], 'the same bytes the server got');
      smtp.script = () => null;
      // Soon after, a run leaves it alone: its sender might still be at work.
      const early = await sendOutbox(db, account, 'smtp password', { ignoreBackoff: true });
      assert.deepEqual(early.reports, []);
      assert.equal(smtp.delivered.length, 0);
      // Long after, it is called interrupted: failed, with a reason, still not sent.
      const later = await sendOutbox(db, account, 'smtp password', {
        ignoreBackoff: true,
        now: () => Date.now() + INTERRUPTED_AFTER_MS + 1,
      });
      assert.equal(later.recovered, 1);
      assert.equal(getOutbox(db, entry!.id)!.state, 'failed');
      assert.match(getOutbox(db, entry!.id)!.lastError!, /interrupted/);
      assert.equal(smtp.delivered.length, 0);
      // The user checked and asks again: sent once.
      requeueOutbox(db, entry!.id);
      const retried = await sendOutbox(db, account, 'smtp password');
      assert.equal(retried.reports[0]!.state, 'sent');
      assert.equal(smtp.delivered.length, 1);
      assert.deepEqual(listOutbox(db, { states: ['queued', 'sending', 'failed'] }), []);
    } finally {
      db.close();
    }
  },
);
