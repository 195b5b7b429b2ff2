// `sealpost account add|list` against real Dovecot and Postfix on loopback
// (test/support/servers/mailservers.ts): the add logs in to both servers before it
// saves anything, and every failure leaves the profile without an account.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { mailServersAvailable, startMailServers, type MailServers } from '../../support/servers/mailservers.ts';
import { runSealpost, tempDir, type TempDir } from '../../support/cli.ts';
import { checkImap, checkSmtp } from '../../../main/mail/connection-check.ts';
import { SealpostError, exitCodeFor } from '../../../app/errors.ts';
import { PassphraseSecretStore } from '../../../main/accounts/secret-store.ts';

const skip = mailServersAvailable();
const PASSWORD = 'correct horse battery staple 7Q';
const ENV = { SEALPOST_SECRETS_PASSPHRASE: 'store passphrase for the test' };

function oneLineError(stderr: string): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  assert.match(lines[0]!, /^sealpost: /);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  assert.ok(!stderr.includes(PASSWORD), 'no password in the message');
}

/** Every file of the profile, as bytes, for a search for the password. */
function profileBytes(dir: string): Array<{ path: string; bytes: Buffer }> {
  const out: Array<{ path: string; bytes: Buffer }> = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...profileBytes(path));
    else out.push({ path, bytes: readFileSync(path) });
  }
  return out;
}

/** A port on 127.0.0.1 that nobody listens on. */
async function closedPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('account add and list against real servers', { skip: skip ?? false, timeout: 60_000 }, () => {
  let servers: MailServers;
  let files: TempDir;
  const user = 'dana@example.test';

  before(async () => {
    servers = await startMailServers();
    await servers.addUser(user, PASSWORD);
    files = await tempDir();
    writeFileSync(join(files.path, 'password'), `${PASSWORD}\n`);
    writeFileSync(join(files.path, 'wrong-password'), 'not the password\n');
    writeFileSync(join(files.path, 'ca.pem'), servers.ca);
    writeFileSync(join(files.path, 'other-ca.pem'), servers.otherCa);
  });

  after(async () => {
    await files?.cleanup();
    await servers?.close();
  });

  const urls = (kind: 'starttls' | 'tls') => {
    const { imap, submission } = servers;
    return kind === 'starttls'
      ? ['--imap', `imap://127.0.0.1:${imap.port}`, '--smtp', `smtp://127.0.0.1:${submission.port}`]
      : ['--imap', `imaps://127.0.0.1:${imap.tlsPort}`, '--smtp', `smtps://127.0.0.1:${submission.tlsPort}`];
  };
  const addArgs = (server: string[], opts: { password?: string; ca?: string } = {}) => [
    'account',
    'add',
    '--email',
    user,
    ...server,
    '--user',
    user,
    '--password-file',
    join(files.path, opts.password ?? 'password'),
    ...(opts.ca === '' ? [] : ['--ca', join(files.path, opts.ca ?? 'ca.pem')]),
  ];

  async function assertNothingSaved(home: string): Promise<void> {
    const list = await runSealpost(['account', 'list', '--json'], { home });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout.toString()), []);
    assert.ok(!readdirSync(home).includes('secrets.json'), 'no password store written');
  }

  for (const kind of ['starttls', 'tls'] as const) {
    test(`add with the run's CA (${kind} URLs), then list --json without the password anywhere`, async () => {
      const home = await tempDir();
      try {
        const add = await runSealpost(addArgs(urls(kind)), { home: home.path, env: ENV });
        assert.equal(add.code, 0, add.stderr);
        const list = await runSealpost(['account', 'list', '--json'], { home: home.path });
        assert.equal(list.code, 0, list.stderr);
        const accounts = JSON.parse(list.stdout.toString());
        assert.equal(accounts.length, 1);
        assert.equal(accounts[0].email, user);
        assert.equal(accounts[0].user, user);
        assert.equal(accounts[0].customCa, true);
        assert.equal(accounts[0].imap, urls(kind)[1]);
        assert.equal(accounts[0].smtp, urls(kind)[3]);
        assert.ok(!list.stdout.toString().includes(PASSWORD));
        const saved = profileBytes(home.path);
        assert.ok(
          saved.some((f) => f.path.endsWith('secrets.json')),
          'the password is in the password store',
        );
        for (const f of saved) {
          assert.equal(f.bytes.indexOf(PASSWORD), -1, `the password in plain text in ${f.path}`);
          assert.equal(f.bytes.indexOf(Buffer.from(PASSWORD, 'utf16le')), -1, `the password (UTF-16) in ${f.path}`);
        }
        const again = await runSealpost(addArgs(urls(kind)), { home: home.path, env: ENV });
        assert.equal(again.code, 65, again.stderr);
        oneLineError(again.stderr);
      } finally {
        await home.cleanup();
      }
    });
  }

  test('the SMTP adapter on the real Postfix: wrong password, other CA, TLS scheme on a plain port', async () => {
    const h = '127.0.0.1';
    for (const [port, security] of [
      [servers.submission.port, 'starttls'],
      [servers.submission.tlsPort, 'tls'],
    ] as const) {
      const auth = await failure(checkSmtp({ host: h, port, security }, user, 'not the password', servers.ca));
      assert.equal(auth.code, 'network-auth-failed', auth.message);
      const cert = await failure(checkSmtp({ host: h, port, security }, user, PASSWORD, servers.otherCa));
      assert.equal(cert.code, 'network-tls', cert.message);
      assert.match(cert.message, /certificate .*refused/);
      await checkSmtp({ host: h, port, security }, user, PASSWORD, servers.ca);
    }
    const mismatch = await failure(checkImap({ host: h, port: servers.imap.port, security: 'tls' }, user, PASSWORD, servers.ca));
    assert.equal(mismatch.code, 'network-bad-response', mismatch.message);
  });

  test('a wrong password: 65, nothing saved', async () => {
    const home = await tempDir();
    try {
      const r = await runSealpost(addArgs(urls('starttls'), { password: 'wrong-password' }), { home: home.path, env: ENV });
      assert.equal(r.code, 65, r.stderr);
      oneLineError(r.stderr);
      assert.match(r.stderr, /refused the (user name or password|login)/);
      assert.ok(!r.stderr.includes('not the password'));
      await assertNothingSaved(home.path);
    } finally {
      await home.cleanup();
    }
  });

  for (const kind of ['starttls', 'tls'] as const) {
    test(`a CA that did not sign the server's certificate (${kind}): 69 with a certificate message, nothing saved`, async () => {
      const home = await tempDir();
      try {
        const r = await runSealpost(addArgs(urls(kind), { ca: 'other-ca.pem' }), { home: home.path, env: ENV });
        assert.equal(r.code, 69, r.stderr);
        oneLineError(r.stderr);
        assert.match(r.stderr, /certificate/i);
        assert.match(r.stderr, /refused/);
        await assertNothingSaved(home.path);
      } finally {
        await home.cleanup();
      }
    });
  }

  test('no --ca: the private CA is not trusted by the system, 69', async () => {
    const home = await tempDir();
    try {
      const r = await runSealpost(addArgs(urls('tls'), { ca: '' }), { home: home.path, env: ENV });
      assert.equal(r.code, 69, r.stderr);
      assert.match(r.stderr, /certificate/i);
      await assertNothingSaved(home.path);
    } finally {
      await home.cleanup();
    }
  });

  test('a closed port: 69, nothing saved', async () => {
    const home = await tempDir();
    try {
      const port = await closedPort();
      const server = ['--imap', `imaps://127.0.0.1:${port}`, '--smtp', `smtps://127.0.0.1:${servers.submission.tlsPort}`];
      const r = await runSealpost(addArgs(server), { home: home.path, env: ENV });
      assert.equal(r.code, 69, r.stderr);
      oneLineError(r.stderr);
      assert.match(r.stderr, /ECONNREFUSED/);
      await assertNothingSaved(home.path);
    } finally {
      await home.cleanup();
    }
  });

  test('SMTP refuses after IMAP accepted: nothing saved', async () => {
    const home = await tempDir();
    try {
      const port = await closedPort();
      const server = ['--imap', `imaps://127.0.0.1:${servers.imap.tlsPort}`, '--smtp', `smtps://127.0.0.1:${port}`];
      const r = await runSealpost(addArgs(server), { home: home.path, env: ENV });
      assert.equal(r.code, 69, r.stderr);
      assert.match(r.stderr, /SMTP/);
      await assertNothingSaved(home.path);
    } finally {
      await home.cleanup();
    }
  });

  test('a missing password file: 66', async () => {
    const home = await tempDir();
    try {
      const r = await runSealpost(addArgs(urls('tls'), { password: 'no-such-file' }), { home: home.path, env: ENV });
      assert.equal(r.code, 66, r.stderr);
      oneLineError(r.stderr);
      await assertNothingSaved(home.path);
    } finally {
      await home.cleanup();
    }
  });

  test('a malformed URL: 65 (account-invalid-server), before any connection', async () => {
    const home = await tempDir();
    try {
      const server = ['--imap', 'imaps://127.0.0.1:99999', '--smtp', `smtps://127.0.0.1:${servers.submission.tlsPort}`];
      const r = await runSealpost(addArgs(server), { home: home.path, env: ENV });
      assert.equal(r.code, 65, r.stderr);
      oneLineError(r.stderr);
      assert.match(r.stderr, /IMAP: the port/);
      const https = await runSealpost(
        addArgs(['--imap', 'https://127.0.0.1', '--smtp', `smtps://127.0.0.1:${servers.submission.tlsPort}`]),
        { home: home.path, env: ENV },
      );
      assert.equal(https.code, 65, https.stderr);
      await assertNothingSaved(home.path);
    } finally {
      await home.cleanup();
    }
  });

  test('no passphrase for the password store and no terminal: 64, nothing contacted or saved', async () => {
    const home = await tempDir();
    try {
      const r = await runSealpost(addArgs(urls('tls')), { home: home.path, env: { SEALPOST_SECRETS_PASSPHRASE: '' } });
      assert.equal(r.code, 64, r.stderr);
      oneLineError(r.stderr);
      assert.match(r.stderr, /--store-passphrase-file/);
      assert.match(r.stderr, /SEALPOST_SECRETS_PASSPHRASE/);
      await assertNothingSaved(home.path);
    } finally {
      await home.cleanup();
    }
  });

  // --password-command: nothing stored, the command's first line is the password each time one is needed.
  const NO_STORE = { SEALPOST_SECRETS_PASSPHRASE: '' };
  const commandArgs = (command: string) => [
    'account',
    'add',
    '--email',
    user,
    ...urls('tls'),
    '--user',
    user,
    '--password-command',
    command,
    '--ca',
    join(files.path, 'ca.pem'),
  ];

  test('--password-command: logs in with what the command prints, stores no password, needs no store passphrase; sync runs it again', async () => {
    const home = await tempDir();
    try {
      const pwFile = join(files.path, 'password-for-command');
      const runs = join(files.path, 'runs');
      writeFileSync(pwFile, `${PASSWORD}\nsecond line\n`);
      writeFileSync(runs, '');
      const command = `echo run >> '${runs}'; cat '${pwFile}'`;
      const add = await runSealpost(commandArgs(command), { home: home.path, env: NO_STORE });
      assert.equal(add.code, 0, add.stderr);
      assert.equal(readFileSync(runs, 'utf8'), 'run\n', 'run once for the login check');
      assert.ok(!readdirSync(home.path).includes('secrets.json'), 'no password store');
      for (const f of profileBytes(home.path)) assert.equal(f.bytes.indexOf(PASSWORD), -1, `the password in ${f.path}`);

      const list = await runSealpost(['account', 'list', '--json'], { home: home.path });
      const [listed] = JSON.parse(list.stdout.toString());
      assert.equal(listed.password, 'command');
      const text = await runSealpost(['account', 'list'], { home: home.path });
      assert.match(text.stdout.toString(), /\(password from a command\)/);

      const sync = await runSealpost(['sync'], { home: home.path, env: NO_STORE });
      assert.equal(sync.code, 0, sync.stderr);
      assert.equal(readFileSync(runs, 'utf8'), 'run\nrun\n', 'run again for the sync, not remembered');

      // What the command prints now is what is used: a wrong one is the server's refusal.
      writeFileSync(pwFile, 'not the password\n');
      const refused = await runSealpost(['sync'], { home: home.path, env: NO_STORE });
      assert.equal(refused.code, 65, refused.stderr);
      assert.match(refused.stderr, /refused the (user name or password|login)/);

      // The command fails: a clear error that names how, the account stays.
      writeFileSync(pwFile, '');
      const empty = await runSealpost(['sync'], { home: home.path, env: NO_STORE });
      assert.equal(empty.code, 1, empty.stderr);
      oneLineError(empty.stderr);
      assert.match(empty.stderr, /password command failed: it printed no password/);

      // Switching to a stored password asks for the store, and a command again forgets it.
      writeFileSync(pwFile, `${PASSWORD}\n`);
      const stored = await runSealpost(['account', 'edit', user, '--password-file', join(files.path, 'password')], {
        home: home.path,
        env: ENV,
      });
      assert.equal(stored.code, 0, stored.stderr);
      assert.ok(readdirSync(home.path).includes('secrets.json'));
      const listedStored = JSON.parse((await runSealpost(['account', 'list', '--json'], { home: home.path })).stdout.toString());
      assert.equal(listedStored[0].password, 'stored');
      const back = await runSealpost(['account', 'edit', user, '--password-command', `cat '${pwFile}'`], { home: home.path, env: ENV });
      assert.equal(back.code, 0, back.stderr);
      const store = new PassphraseSecretStore(home.path, ENV.SEALPOST_SECRETS_PASSPHRASE);
      assert.equal(await store.get(listedStored[0].id), null, 'the stored password is gone');
      assert.equal((await runSealpost(['sync'], { home: home.path, env: NO_STORE })).code, 0);
      assert.equal((await runSealpost(['account', 'remove', user], { home: home.path, env: NO_STORE })).code, 0);
    } finally {
      await home.cleanup();
    }
  });

  test('--password-command that fails, or with --password-file: a clear error, nothing saved', async () => {
    const home = await tempDir();
    try {
      const failing = await runSealpost(commandArgs(`echo 'pass: mail/work is not in the password store' >&2; exit 1`), {
        home: home.path,
        env: NO_STORE,
      });
      assert.equal(failing.code, 1, failing.stderr);
      oneLineError(failing.stderr);
      assert.match(failing.stderr, /password command failed: exit status 1: pass: mail\/work is not in the password store/);
      await assertNothingSaved(home.path);

      const both = await runSealpost([...commandArgs('echo x'), '--password-file', join(files.path, 'password')], { home: home.path });
      assert.equal(both.code, 64, both.stderr);
      assert.match(both.stderr, /exclude each other/);
      const neither = await runSealpost(
        commandArgs('echo x').filter((a, i, all) => a !== '--password-command' && all[i - 1] !== '--password-command'),
        {
          home: home.path,
        },
      );
      assert.equal(neither.code, 64, neither.stderr);
      assert.match(neither.stderr, /--password-file or --password-command is required/);
      const blank = await runSealpost(commandArgs('   '), { home: home.path });
      assert.equal(blank.code, 65, blank.stderr);
      await assertNothingSaved(home.path);
    } finally {
      await home.cleanup();
    }
  });
});

/** A line-based fake server on 127.0.0.1: `greet` on connect, `answer(line)` for each line. */
async function fakeServer(
  greet: string,
  answer: (line: string, socket: Socket) => string,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.write(greet);
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      for (let i = buffered.indexOf('\r\n'); i >= 0; i = buffered.indexOf('\r\n')) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 2);
        const reply = answer(line, socket);
        if (reply && !socket.destroyed) socket.write(reply);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function failure(work: Promise<void>): Promise<SealpostError> {
  try {
    await work;
  } catch (e) {
    assert.ok(e instanceof SealpostError, `a registry error, got ${String(e)}`);
    return e;
  }
  assert.fail('the check passed');
}

function imapFake(loginReply: (tag: string) => string) {
  return fakeServer('* OK [CAPABILITY IMAP4rev1] fake ready\r\n', (line, socket) => {
    const [tag, command] = line.split(' ');
    switch (command?.toUpperCase()) {
      case 'CAPABILITY':
        return `* CAPABILITY IMAP4rev1\r\n${tag} OK done\r\n`;
      case 'LOGIN':
      case 'AUTHENTICATE':
        return loginReply(tag!);
      case 'LOGOUT':
        socket.end(`* BYE bye\r\n${tag} OK done\r\n`);
        return '';
      default:
        return `${tag} BAD not in this fake\r\n`;
    }
  });
}

describe('the IMAP and SMTP error adapters against fake servers', { timeout: 30_000 }, () => {
  test('IMAP without STARTTLS on imap://: network-starttls-unavailable (69), no login sent', async () => {
    let loginSeen = false;
    const fake = await imapFake((tag) => {
      loginSeen = true;
      return `${tag} OK logged in\r\n`;
    });
    try {
      const e = await failure(checkImap({ host: '127.0.0.1', port: fake.port, security: 'starttls' }, 'u', PASSWORD, null));
      assert.equal(e.code, 'network-starttls-unavailable');
      assert.equal(exitCodeFor(e.code), 69);
      assert.equal(loginSeen, false, 'the password never went over plain text');
    } finally {
      await fake.close();
    }
  });

  test('IMAP LOGIN answered NO [UNAVAILABLE]: network-temporary (75)', async () => {
    const fake = await imapFake((tag) => `${tag} NO [UNAVAILABLE] try later\r\n`);
    try {
      const e = await failure(checkImap({ host: '127.0.0.1', port: fake.port, security: 'none' }, 'u', PASSWORD, null));
      assert.equal(e.code, 'network-temporary');
      assert.equal(exitCodeFor(e.code), 75);
      assert.equal(e.retryable, true);
    } finally {
      await fake.close();
    }
  });

  test('IMAP LOGIN answered NO [AUTHENTICATIONFAILED]: network-auth-failed (65), no password in the message', async () => {
    const fake = await imapFake((tag) => `${tag} NO [AUTHENTICATIONFAILED] bad password ${PASSWORD}\r\n`);
    try {
      const e = await failure(checkImap({ host: '127.0.0.1', port: fake.port, security: 'none' }, 'u', PASSWORD, null));
      assert.equal(e.code, 'network-auth-failed');
      assert.equal(exitCodeFor(e.code), 65);
      assert.ok(!e.message.includes(PASSWORD));
    } finally {
      await fake.close();
    }
  });

  test('SMTP without STARTTLS on smtp://: network-starttls-unavailable (69), no AUTH sent', async () => {
    let authSeen = false;
    const fake = await fakeServer('220 fake ESMTP\r\n', (line, socket) => {
      const verb = line.split(' ')[0]!.toUpperCase();
      if (verb === 'EHLO') return '250-fake\r\n250 AUTH PLAIN LOGIN\r\n';
      if (verb === 'STARTTLS') return '502 5.5.1 not here\r\n';
      if (verb === 'AUTH') authSeen = true;
      if (verb === 'QUIT') socket.end('221 bye\r\n');
      return verb === 'QUIT' ? '' : '500 what\r\n';
    });
    try {
      const e = await failure(checkSmtp({ host: '127.0.0.1', port: fake.port, security: 'starttls' }, 'u', PASSWORD, null));
      assert.equal(e.code, 'network-starttls-unavailable');
      assert.equal(authSeen, false);
    } finally {
      await fake.close();
    }
  });

  test('SMTP greeting 421: network-temporary (75)', async () => {
    const fake = await fakeServer('421 4.3.2 too busy\r\n', () => '421 4.3.2 too busy\r\n');
    try {
      // smtps:// to a plain-text server fails in the TLS handshake: not a certificate problem, not retryable
      const e = await failure(checkSmtp({ host: '127.0.0.1', port: fake.port, security: 'tls' }, 'u', PASSWORD, null));
      assert.equal(e.code, 'network-bad-response', e.message);
      const plain = await failure(checkSmtp({ host: '127.0.0.1', port: fake.port, security: 'none' }, 'u', PASSWORD, null));
      assert.equal(plain.code, 'network-temporary', plain.message);
      assert.equal(exitCodeFor(plain.code), 75);
    } finally {
      await fake.close();
    }
  });

  test('a server that never greets: network-timeout within the bound', async () => {
    const fake = await fakeServer('', () => '');
    const timeouts = { connectionMs: 1000, greetingMs: 500, socketMs: 1000, totalMs: 3000 };
    try {
      const started = Date.now();
      const imap = await failure(checkImap({ host: '127.0.0.1', port: fake.port, security: 'none' }, 'u', PASSWORD, null, timeouts));
      assert.equal(imap.code, 'network-timeout', imap.message);
      const smtp = await failure(checkSmtp({ host: '127.0.0.1', port: fake.port, security: 'none' }, 'u', PASSWORD, null, timeouts));
      assert.equal(smtp.code, 'network-timeout', smtp.message);
      assert.ok(Date.now() - started < 7000);
    } finally {
      await fake.close();
    }
  });
});
