// Accounts whose password comes from a command: nothing goes into the secret
// store, the command runs at every `password()`, and a switch either way
// leaves exactly one source (main/accounts/accounts.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SealpostError } from '../../../app/errors.ts';
import { accountSummary, Accounts } from '../../../main/accounts/accounts.ts';
import { MemorySecretStore } from '../../../main/accounts/secret-store.ts';
import { migrate, openDatabase, schemaVersion, SCHEMA_VERSION } from '../../../main/store/database.ts';
import { MIGRATIONS } from '../../../main/store/migrations.ts';
import { tempDir } from '../../support/cli.ts';

const hasCode = (code: string) => (e: unknown) => e instanceof SealpostError && e.code === code;

const BASE = {
  email: 'alice@example.org',
  imap: 'imaps://imap.example.org:993',
  smtp: 'smtp://smtp.example.org:587',
  user: 'alice',
};

/** A secret store that remembers what was asked of it. */
class WatchedStore extends MemorySecretStore {
  readonly calls: string[] = [];
  override async set(id: string, secret: string): Promise<void> {
    this.calls.push(`set ${id}`);
    return super.set(id, secret);
  }
  override async delete(id: string): Promise<void> {
    this.calls.push(`delete ${id}`);
    return super.delete(id);
  }
}

test('added with a command: nothing stored, the command runs at each password(), the summary says so', async () => {
  const dir = await tempDir();
  const db = openDatabase(':memory:');
  try {
    const file = join(dir.path, 'pw');
    writeFileSync(file, 'from the command\n');
    const secrets = new WatchedStore();
    const accounts = new Accounts(db, secrets);
    const account = await accounts.add({ ...BASE, passwordCommand: `cat '${file}'` });
    assert.equal(account.passwordSource, 'command');
    assert.deepEqual(secrets.calls, [], 'the secret store is not touched');
    assert.equal(accountSummary(account).password, 'command');
    assert.equal(await accounts.password(account.id), 'from the command');
    writeFileSync(file, 'changed since\n');
    assert.equal(await accounts.password(account.email), 'changed since', 'run again, not remembered');
    assert.ok(!JSON.stringify(accounts.list()).includes('changed since'));
  } finally {
    db.close();
    await dir.cleanup();
  }
});

test('a failing command fails password() with its typed error; the account stays as it was', async () => {
  const db = openDatabase(':memory:');
  try {
    const accounts = new Accounts(db, new MemorySecretStore());
    const account = await accounts.add({ ...BASE, passwordCommand: 'echo locked >&2; exit 3' });
    await assert.rejects(accounts.password(account.id), (e: unknown) => {
      assert.ok(e instanceof SealpostError && e.is('account-password-command-failed'));
      assert.equal(e.details.exitCode, 3);
      assert.match(e.message, /exit status 3: locked/);
      return true;
    });
    assert.equal(accounts.get(account.id).passwordSource, 'command');
  } finally {
    db.close();
  }
});

test('exactly one source: both, neither or an empty command are refused and store nothing', async () => {
  const db = openDatabase(':memory:');
  try {
    const secrets = new WatchedStore();
    const accounts = new Accounts(db, secrets);
    await assert.rejects(accounts.add({ ...BASE, password: 'pw', passwordCommand: 'echo pw' }), hasCode('bad-input'));
    await assert.rejects(accounts.add({ ...BASE }), hasCode('bad-input'));
    await assert.rejects(accounts.add({ ...BASE, passwordCommand: '  ' }), hasCode('bad-input'));
    await assert.rejects(accounts.add({ ...BASE, passwordCommand: 'echo a\necho b' }), hasCode('bad-input'));
    assert.deepEqual(accounts.list(), []);
    assert.deepEqual(secrets.calls, []);
  } finally {
    db.close();
  }
});

test('switching: a command forgets the stored password; a typed password forgets the command', async () => {
  const db = openDatabase(':memory:');
  try {
    const secrets = new WatchedStore();
    const accounts = new Accounts(db, secrets);
    const account = await accounts.add({ ...BASE, password: 'stored one' });
    assert.equal(await secrets.get(account.id), 'stored one');

    const viaCommand = await accounts.update(account.id, { passwordCommand: "printf 'from %s\\n' command" });
    assert.equal(viaCommand.passwordSource, 'command');
    assert.equal(await secrets.get(account.id), null, 'the stored password is deleted');
    assert.equal(await accounts.password(account.id), 'from command');

    // Other changes keep the command.
    assert.equal((await accounts.update(account.id, { displayName: 'Alice' })).passwordSource, 'command');

    const stored = await accounts.update(account.id, { password: 'typed again' });
    assert.equal(stored.passwordSource, 'stored');
    assert.equal(await accounts.password(account.id), 'typed again');

    await assert.rejects(accounts.update(account.id, { password: 'x', passwordCommand: 'echo x' }), hasCode('bad-input'));
    assert.equal(accounts.get(account.id).passwordSource, 'stored', 'a refused change changes nothing');
  } finally {
    db.close();
  }
});

test('passwordFrom: the password settings would give, for the login check before saving', async () => {
  const db = openDatabase(':memory:');
  try {
    let runs = 0;
    const accounts = new Accounts(db, new MemorySecretStore(), {
      runCommand: async (command) => {
        runs++;
        return `ran ${command}`;
      },
    });
    assert.equal(await accounts.passwordFrom({ password: 'typed' }), 'typed');
    assert.equal(await accounts.passwordFrom({ passwordCommand: ' pass show mail ' }), 'ran pass show mail');
    assert.equal(runs, 1);
    await assert.rejects(accounts.passwordFrom({}), hasCode('bad-input'));
  } finally {
    db.close();
  }
});

test('a store made before password commands: migrated, its accounts keep their stored passwords', async () => {
  const db = openDatabase(':memory:', { migrations: MIGRATIONS.slice(0, 1) });
  try {
    assert.equal(schemaVersion(db), 1);
    db.prepare(
      `INSERT INTO accounts (id, email, email_key, display_name, imap, smtp, ca_pem, created_at, updated_at)
       VALUES ('a1', 'old@example.org', 'old@example.org', '', ?, ?, NULL, 1, 1)`,
    ).run(
      JSON.stringify({ host: 'imap.example.org', port: 993, security: 'tls', user: 'old' }),
      JSON.stringify({ host: 'smtp.example.org', port: 465, security: 'tls', user: 'old' }),
    );
    assert.deepEqual(migrate(db), { from: 1, to: SCHEMA_VERSION });
    const secrets = new MemorySecretStore();
    await secrets.set('a1', 'old password');
    const accounts = new Accounts(db, secrets);
    assert.equal(accounts.get('old@example.org').passwordSource, 'stored');
    assert.equal(await accounts.password('a1'), 'old password');
    // The column refuses an empty command, whoever writes it.
    assert.throws(() => db.prepare("UPDATE accounts SET password_command = '' WHERE id = 'a1'").run());
  } finally {
    db.close();
  }
});
