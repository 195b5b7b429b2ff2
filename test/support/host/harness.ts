/**
 * `npm run harness`: the app to try by hand, without Electron. Builds (npm
 * script), then starts Dovecot and Postfix on 127.0.0.1 with two users, a
 * fresh profile and the test host, and prints what to open in a browser and
 * what to type into the first-run form. Ctrl+C (or SIGTERM) stops it all.
 *
 *   npm run harness [-- --port N] [-- --keep]
 *
 *   --port N   serve the page on 127.0.0.1:N (default: a free port)
 *   --keep     keep the profile folder on exit (its path is printed)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { peer, type PeerKey } from '../peers/peers.ts';
import { mailServersAvailable, startMailServers, type MailServers } from '../servers/mailservers.ts';
import { accountSettings, startTestHost, type TestHost } from './host.ts';

const YOU = 'you@example.test';
const PEER = 'peer@example.test';

const { values } = parseArgs({ options: { port: { type: 'string' }, keep: { type: 'boolean', default: false } } });
const port = values.port === undefined ? 0 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`harness: --port takes a port number, not ${values.port}`);
  process.exit(2);
}

const unavailable = mailServersAvailable();
if (unavailable) {
  console.error(`harness: the mail servers cannot run here: ${unavailable}`);
  process.exit(1);
}

const password = () => `pw-${randomBytes(6).toString('base64url')}`;
const passwords = { [YOU]: password(), [PEER]: password() };
const dir = mkdtempSync(join(tmpdir(), 'sealpost-harness-'));
const profile = join(dir, 'profile');
const caFile = join(dir, 'ca.pem');
const peerPublic = join(dir, 'peer-public.asc');
const peerSecret = join(dir, 'peer-secret.asc');

let servers: MailServers | undefined;
let host: TestHost | undefined;
let stopping: Promise<void> | null = null;

function stop(code: number): Promise<void> {
  stopping ??= (async () => {
    const errors: string[] = [];
    try {
      await host?.close();
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
    try {
      await servers?.close();
    } catch (e) {
      errors.push(e instanceof Error ? e.message : String(e));
    }
    if (values.keep) console.log(`harness: kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    for (const e of errors) console.error(`harness: ${e}`);
    console.log('harness: stopped');
    process.exit(errors.length ? 1 : code);
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) {
      console.error('harness: still stopping (the servers get 20 s per step)');
      return;
    }
    console.log(`\nharness: ${signal}, stopping`);
    void stop(0);
  });
}

/** A key for the peer made by GnuPG itself, when it is installed (else the peer has none). */
async function peerKey(): Promise<PeerKey | null> {
  const gpg = peer('gpg');
  if (!gpg.available()) return null;
  return gpg.generateKey(`GnuPG Peer <${PEER}>`);
}

/** A plain message from the peer, with the peer's public key attached when there is one. */
function welcome(key: PeerKey | null): Uint8Array {
  const text = 'A plain message already in the inbox, so that the list is not empty.';
  const head = [
    `From: GnuPG Peer <${PEER}>`,
    `To: <${YOU}>`,
    'Subject: Welcome to the harness',
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${Date.now()}.harness@example.test>`,
    'MIME-Version: 1.0',
  ];
  const lines = key
    ? [
        ...head,
        'Content-Type: multipart/mixed; boundary="harness-boundary"',
        '',
        '--harness-boundary',
        'Content-Type: text/plain; charset=utf-8',
        '',
        `${text} My public key is attached.`,
        '--harness-boundary',
        'Content-Type: application/pgp-keys; name="peer.asc"',
        'Content-Disposition: attachment; filename="peer.asc"',
        '',
        key.cert.trim(),
        '--harness-boundary--',
        '',
      ]
    : [...head, 'Content-Type: text/plain; charset=utf-8', '', text, ''];
  return new TextEncoder().encode(lines.join('\r\n'));
}

try {
  console.log('harness: starting Dovecot and Postfix ...');
  servers = await startMailServers();
  const [key] = await Promise.all([peerKey(), servers.addUser(YOU, passwords[YOU]), servers.addUser(PEER, passwords[PEER])]);
  await servers.deliver(YOU, welcome(key));
  writeFileSync(caFile, servers.ca);
  if (key) {
    writeFileSync(peerPublic, key.cert);
    writeFileSync(peerSecret, key.secret, { mode: 0o600 });
  }
  host = await startTestHost({ home: profile, servers, port });

  const you = accountSettings(servers, YOU, passwords[YOU]);
  const { imap, submission } = servers;
  console.log(`
Sealpost harness is running.

  Open:     ${host.url}
            (Chromium: chromium --user-data-dir=${join(dir, 'browser')} '${host.url}')

  Profile:  ${profile}
  CA file:  ${caFile}

  First-run form (implicit TLS on both; the certificate is the run's own CA):
    e-mail     ${YOU}
    password   ${passwords[YOU]}
    IMAP       ${you.imap}      (STARTTLS: imap://127.0.0.1:${imap.port})
    SMTP       ${you.smtp}      (STARTTLS: smtp://127.0.0.1:${submission.port})
    user name  ${YOU}
    CA         ${caFile}

  The other user (a GnuPG-like correspondent):
    e-mail     ${PEER}
    password   ${passwords[PEER]}
    ${key ? `key        ${key.fingerprint} (made by GnuPG; sent to you in the welcome message)\n    public     ${peerPublic}\n    secret     ${peerSecret} (no passphrase)` : 'key        none (GnuPG is not installed)'}

Ctrl+C stops the servers and the host${values.keep ? '' : ' and removes the profile'}.
`);
} catch (e) {
  console.error(`harness: could not start: ${e instanceof Error ? e.message : String(e)}`);
  await stop(1);
}
