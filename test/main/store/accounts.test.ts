import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SealpostError } from '../../../app/errors.ts';
import { accountSummary, Accounts } from '../../../main/accounts/accounts.ts';
import { MemorySecretStore, PassphraseSecretStore, SECRETS_FILE } from '../../../main/accounts/secret-store.ts';
import { formatServerUrl, parseServerUrl, validateCaPem, validateEmail } from '../../../main/accounts/validate.ts';
import { openDatabase, openStore } from '../../../main/store/database.ts';
import { saveDraft } from '../../../main/store/drafts.ts';
import { enqueueOutbox } from '../../../main/store/outbox.ts';
import { bytes, tempHome } from '../../support/store/helpers.ts';

const hasCode = (code: string) => (e: unknown) => e instanceof SealpostError && e.code === code;

const CA = `-----BEGIN CERTIFICATE-----
MIIBjDCCATOgAwIBAgIUUO+RTAxcBtoqIdOhek74XUZniTQwCgYIKoZIzj0EAwIw
GzEZMBcGA1UEAwwQU2VhbHBvc3QgVGVzdCBDQTAgFw0yNjEyMDEwNDE4NThaGA8y
MTI2MTEwNzA0MTg1OFowGzEZMBcGA1UEAwwQU2VhbHBvc3QgVGVzdCBDQTBZMBMG
ByqGSM49AgEGCCqGSM49AwEHA0IABPUunb0shcHMRyTUEKXfyZKSNBhrDnRnxb/6
IxkS46XZe6z/nIQupOuM5q7pit+pEH3HRmJqgpKdxp22apoLaYWjUzBRMB0GA1Ud
DgQWBBTTtv7H2odNr2dIa4Lgg+ZVc3fBJTAfBgNVHSMEGDAWgBTTtv7H2odNr2dI
a4Lgg+ZVc3fBJTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIEVU
AKKJDCbo34SJ3NTmho3Qm/K6/zl8YtVcll2dWmjHAiAGPTq9NKlE41J0Gk6b44Cy
Yz3oK82XqSVDV9WyZ9umDQ==
-----END CERTIFICATE-----
`;

test('server URLs: the contract forms, their defaults and canonical form', () => {
  const ok: [kind: 'imap' | 'smtp', url: string, host: string, port: number, security: string, canonical: string][] = [
    ['imap', 'imaps://mail.example.org:993', 'mail.example.org', 993, 'tls', 'imaps://mail.example.org:993'],
    ['imap', 'imaps://Mail.Example.ORG', 'mail.example.org', 993, 'tls', 'imaps://mail.example.org:993'],
    ['imap', 'imap://mail.example.org:143', 'mail.example.org', 143, 'starttls', 'imap://mail.example.org:143'],
    ['imap', 'imap://127.0.0.1:10143?tls=off', '127.0.0.1', 10143, 'none', 'imap://127.0.0.1:10143?tls=off'],
    ['imap', 'IMAPS://[::1]:9993/', '::1', 9993, 'tls', 'imaps://[::1]:9993'],
    ['imap', 'imaps://bücher.example:993', 'xn--bcher-kva.example', 993, 'tls', 'imaps://xn--bcher-kva.example:993'],
    ['smtp', 'smtps://smtp.example.org:465', 'smtp.example.org', 465, 'tls', 'smtps://smtp.example.org:465'],
    ['smtp', 'smtp://smtp.example.org:587', 'smtp.example.org', 587, 'starttls', 'smtp://smtp.example.org:587'],
    ['smtp', 'smtp://smtp.example.org', 'smtp.example.org', 587, 'starttls', 'smtp://smtp.example.org:587'],
    ['smtp', ' smtp://localhost:2525?tls=off ', 'localhost', 2525, 'none', 'smtp://localhost:2525?tls=off'],
  ];
  for (const [kind, url, host, port, security, canonical] of ok) {
    const parsed = parseServerUrl(kind, url);
    assert.deepEqual(parsed, { host, port, security }, url);
    assert.equal(formatServerUrl(kind, parsed), canonical, url);
    assert.deepEqual(parseServerUrl(kind, canonical), parsed, `${canonical} parses back`);
  }
});

test('server URLs: what is refused, with a reason and never the password', () => {
  const bad: [kind: 'imap' | 'smtp', url: string, reason: RegExp][] = [
    ['imap', '', /missing/],
    ['imap', 'mail.example.org:993', /not a URL/],
    ['imap', 'https://mail.example.org', /scheme https/],
    ['imap', 'smtps://mail.example.org:465', /scheme smtps/],
    ['smtp', 'imaps://mail.example.org:993', /scheme imaps/],
    ['imap', 'imaps://mail.example.org:993?tls=off', /contradicts imaps/],
    ['smtp', 'smtps://mail.example.org?tls=off', /contradicts smtps/],
    ['imap', 'imap://mail.example.org?tls=on', /only "off"/],
    ['imap', 'imap://mail.example.org?starttls=no', /only option/],
    ['imap', 'imap://mail.example.org?tls=off&tls=off', /only option/],
    ['imap', 'imaps://mail.example.org:0', /port/],
    ['imap', 'imaps://mail.example.org:65536', /port/],
    ['imap', 'imaps://mail.example.org:99a', /port/],
    ['imap', 'imaps://mail.example.org:', /port/],
    ['imap', 'imaps://:993', /host is missing/],
    ['imap', 'imaps://mail_server:993', /host name/],
    ['imap', 'imaps://-bad.example.org', /host name/],
    ['imap', 'imaps://999.1.1.1', /IPv4/],
    ['imap', 'imaps://[::g]:993', /IPv6/],
    ['imap', 'imaps://mail.example.org/INBOX', /path/],
    ['imap', 'imaps://mail.example.org#x', /fragment/],
    ['imap', 'imaps://mail .example.org', /spaces/],
    ['imap', 'imaps://alice:Sup3rSecret@mail.example.org:993', /not in the URL/],
  ];
  for (const [kind, url, reason] of bad) {
    assert.throws(
      () => parseServerUrl(kind, url),
      (e: unknown) => {
        assert.ok(hasCode('account-invalid-server')(e), url);
        assert.match((e as Error).message, reason, url);
        assert.doesNotMatch((e as Error).message, /Sup3rSecret/);
        return true;
      },
    );
  }
});

test('email addresses and CA certificates', () => {
  assert.equal(validateEmail(' Alice@Example.ORG '), 'Alice@example.org');
  assert.equal(validateEmail('bob+tag@sub.example.co.uk'), 'bob+tag@sub.example.co.uk');
  assert.equal(validateEmail('jörg@bücher.example'), 'jörg@bücher.example');
  assert.equal(validateEmail('test@localhost'), 'test@localhost');
  for (const bad of [
    '',
    'alice',
    '@example.org',
    'alice@',
    'a b@example.org',
    'Alice <alice@example.org>',
    '.a@example.org',
    'a..b@example.org',
    'a@-x.org',
    'a@exa mple.org',
    `${'x'.repeat(65)}@example.org`,
  ]) {
    assert.throws(() => validateEmail(bad), hasCode('account-invalid-email'), bad);
  }

  const pem = validateCaPem(`some text before\n${CA}\nand after`);
  assert.equal(pem.match(/BEGIN CERTIFICATE/g)?.length, 1);
  assert.equal(validateCaPem(CA + CA).match(/BEGIN CERTIFICATE/g)?.length, 2);
  assert.throws(() => validateCaPem('not a certificate'), hasCode('account-invalid-ca'));
  assert.throws(() => validateCaPem(CA.replace('MIIBjDCCATOgAwIBAgIU', 'MIIBjDCCATOgAwIBAgIX')), hasCode('account-invalid-ca'));
  assert.throws(
    () => validateCaPem(`${CA}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n`),
    (e: unknown) => hasCode('account-invalid-ca')(e) && /private key/.test((e as Error).message),
  );
});

const INPUT = {
  email: 'alice@example.org',
  displayName: 'Alice',
  imap: 'imaps://imap.example.org:993',
  smtp: 'smtp://smtp.example.org:587',
  user: 'alice',
  password: 'imap-and-smtp-password',
};

test('accounts: add, list without secrets, get by id or address, update, remove', async () => {
  const db = openDatabase(':memory:');
  try {
    const secrets = new MemorySecretStore();
    const accounts = new Accounts(db, secrets, { now: () => Date.UTC(2025, 0, 2) });
    const alice = await accounts.add({ ...INPUT, caPem: CA });
    assert.match(alice.id, /^[0-9a-f-]{36}$/);
    assert.equal(alice.imap.url, 'imaps://imap.example.org:993');
    assert.equal(alice.smtp.security, 'starttls');
    assert.equal(alice.smtp.user, 'alice');
    assert.equal(await secrets.get(alice.id), INPUT.password);
    assert.equal(await accounts.password('ALICE@example.org'), INPUT.password);

    const listed = accounts.list();
    assert.equal(listed.length, 1);
    assert.doesNotMatch(JSON.stringify(listed), /imap-and-smtp-password/, 'no secret in a listing');
    assert.deepEqual(accountSummary(listed[0]!), {
      id: alice.id,
      email: 'alice@example.org',
      displayName: 'Alice',
      imap: 'imaps://imap.example.org:993',
      smtp: 'smtp://smtp.example.org:587',
      user: 'alice',
      customCa: true,
      password: 'stored',
      created: '2025-01-02T00:00:00.000Z',
    });
    assert.equal(accounts.get(alice.id).email, 'alice@example.org');
    assert.equal(accounts.get('Alice@EXAMPLE.org').id, alice.id);
    assert.throws(() => accounts.get('nobody@example.org'), hasCode('account-not-found'));

    await assert.rejects(accounts.add({ ...INPUT, email: 'ALICE@example.org' }), hasCode('account-exists'));
    await assert.rejects(
      accounts.add({ ...INPUT, email: 'carol@example.org', imap: 'imaps://x:993?tls=off' }),
      hasCode('account-invalid-server'),
    );
    await assert.rejects(accounts.add({ ...INPUT, email: 'carol@example.org', password: '' }), hasCode('bad-input'));
    await assert.rejects(accounts.add({ ...INPUT, email: 'carol@example.org', displayName: 'Evil\r\nBcc: x' }), hasCode('bad-input'));
    assert.equal(accounts.list().length, 1, 'nothing stored by a refused add');

    const bob = await accounts.add({ ...INPUT, email: 'bob@example.org', user: 'bob', password: 'bobs' });
    await assert.rejects(accounts.update(bob.id, { email: 'alice@example.org' }), hasCode('account-exists'));
    const updated = await accounts.update(bob.id, { smtp: 'smtps://smtp.example.org', user: 'robert', password: 'new', caPem: null });
    assert.equal(updated.smtp.url, 'smtps://smtp.example.org:465');
    assert.equal(updated.imap.user, 'robert');
    assert.equal(updated.smtp.user, 'robert');
    assert.equal(updated.imap.url, bob.imap.url);
    assert.equal(await accounts.password(bob.id), 'new');

    // Mail that exists only here blocks the removal.
    enqueueOutbox(db, { accountId: bob.id, raw: bytes('queued'), envelope: { from: 'bob@example.org', to: ['x@example.org'] } });
    saveDraft(db, { accountId: bob.id, raw: bytes('draft'), encrypted: false });
    await assert.rejects(accounts.remove(bob.id), hasCode('account-has-unsent'));
    assert.equal(await secrets.get(bob.id), 'new', 'the password stays with a refused removal');
    await accounts.remove(bob.id, { force: true });
    assert.equal(accounts.find(bob.id), null);
    assert.equal(await secrets.get(bob.id), null);
    await assert.rejects(accounts.remove(bob.id), hasCode('account-not-found'));
  } finally {
    db.close();
  }
});

test('accounts over the passphrase store: the password only in the encrypted file; a locked store stops a removal', async () => {
  const { home, cleanup } = tempHome();
  const db = openStore(home);
  try {
    const accounts = new Accounts(db, new PassphraseSecretStore(home, 'store passphrase', { scryptN: 2 ** 14 }));
    const alice = await accounts.add(INPUT);
    assert.equal(readFileSync(join(home, SECRETS_FILE)).includes(INPUT.password), false);
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    assert.equal(readFileSync(join(home, 'mail.sqlite')).includes(INPUT.password), false, 'no password in the mail store');

    const locked = new Accounts(db, new PassphraseSecretStore(home, 'wrong', { scryptN: 2 ** 14 }));
    await assert.rejects(locked.password(alice.id), hasCode('secret-store-locked'));
    await assert.rejects(locked.remove(alice.id), hasCode('secret-store-locked'));
    await assert.rejects(locked.add({ ...INPUT, email: 'dave@example.org' }), hasCode('secret-store-locked'));
    assert.deepEqual(
      accounts.list().map((a) => a.email),
      ['alice@example.org'],
      'nothing changed by the locked store',
    );
  } finally {
    db.close();
    cleanup();
  }
});
