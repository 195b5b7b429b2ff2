// Adding, editing and removing an account: what can be checked offline is
// refused before any server is contacted (the servers here are a port nobody
// listens on, so a login attempt would fail as a network error instead), an
// existing address is refused before the login, and a failed login saves
// nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SealpostError } from '../../../app/errors.ts';
import { Accounts } from '../../../main/accounts/accounts.ts';
import { MemorySecretStore } from '../../../main/accounts/secret-store.ts';
import { openStore } from '../../../main/store/database.ts';
import { addAccount } from '../../../main/usecases/add-account.ts';
import { changesConnection, editAccount } from '../../../main/usecases/edit-account.ts';
import { removeAccount } from '../../../main/usecases/remove-account.ts';
import { tempHome } from '../../support/store/helpers.ts';

const hasCode = (code: string) => (e: unknown) => e instanceof SealpostError && e.code === code;
const input = { email: 'alice@example.org', imap: 'imaps://127.0.0.1:1', smtp: 'smtps://127.0.0.1:1', user: 'alice', password: 'pw' };

async function withAccounts(work: (accounts: Accounts) => Promise<void>): Promise<void> {
  const { home, cleanup } = tempHome();
  const db = openStore(home);
  try {
    await work(new Accounts(db, new MemorySecretStore()));
  } finally {
    db.close();
    cleanup();
  }
}

test('addAccount: bad settings refused offline; an existing address before the login; a refused login saves nothing', () =>
  withAccounts(async (accounts) => {
    await assert.rejects(addAccount(accounts, { ...input, email: 'not an address' }), hasCode('account-invalid-email'));
    await assert.rejects(addAccount(accounts, { ...input, imap: 'ftp://127.0.0.1' }), hasCode('account-invalid-server'));
    await assert.rejects(addAccount(accounts, { ...input, user: '' }), hasCode('bad-input'));
    await assert.rejects(addAccount(accounts, { ...input, password: '' }), hasCode('bad-input'));
    await assert.rejects(addAccount(accounts, { ...input, caPem: 'not a certificate' }), hasCode('account-invalid-ca'));
    // Nobody listens on port 1: the login check fails, and nothing is saved.
    await assert.rejects(addAccount(accounts, input), (e: unknown) => e instanceof SealpostError && e.code.startsWith('network'));
    assert.deepEqual(accounts.list(), []);
    await addAccount(accounts, input, { checkServers: false });
    await assert.rejects(addAccount(accounts, { ...input, email: 'ALICE@example.org' }), hasCode('account-exists'));
    assert.equal(accounts.list().length, 1);
  }));

test('editAccount: a connection change is logged in with first; other changes are not; exclusive runs the update', () =>
  withAccounts(async (accounts) => {
    const account = await addAccount(accounts, input, { checkServers: false });
    assert.equal(changesConnection({ displayName: 'A' }), false);
    assert.equal(changesConnection({ caPem: null }), true);
    await assert.rejects(editAccount(accounts, account.id, { user: '' }), hasCode('bad-input'));
    await assert.rejects(
      editAccount(accounts, account.id, { password: 'new' }),
      (e: unknown) => e instanceof SealpostError && e.code.startsWith('network'),
    );
    assert.equal(await accounts.password(account.id), 'pw', 'the refused password was not saved');
    const ran: string[] = [];
    const exclusive = async <T>(id: string, work: () => Promise<T>): Promise<T> => {
      ran.push(id);
      return work();
    };
    const renamed = await editAccount(accounts, 'alice@example.org', { displayName: 'Alice A.' }, { exclusive });
    assert.equal(renamed.displayName, 'Alice A.');
    assert.deepEqual(ran, [account.id]);
  }));

test("removeAccount: by address, in the account's runner; an unknown one is refused", () =>
  withAccounts(async (accounts) => {
    const account = await addAccount(accounts, input, { checkServers: false });
    await assert.rejects(removeAccount(accounts, 'nobody@example.org'), hasCode('account-not-found'));
    const ran: string[] = [];
    const exclusive = async <T>(id: string, work: () => Promise<T>): Promise<T> => {
      ran.push(id);
      return work();
    };
    assert.equal(await removeAccount(accounts, 'alice@example.org', { exclusive }), account.id);
    assert.deepEqual(ran, [account.id]);
    assert.deepEqual(accounts.list(), []);
  }));
