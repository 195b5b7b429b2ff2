/**
 * Real mail servers on loopback for the integration tests (IMAP sync, SMTP
 * outbox): Dovecot (IMAP + LMTP) and Postfix (submission, SASL through
 * Dovecot's auth socket, delivery by LMTP into Dovecot), from the Debian 12
 * packages dovecot-imapd, dovecot-lmtpd and postfix (.ci/run installs them).
 *
 * Every run gets its own temporary folder holding all state (configuration,
 * TLS keys, queue, mail, logs), its own CA, and free ports picked at run time
 * on 127.0.0.1 only. Our own instances run beside any system-wide Postfix or
 * Dovecot (their own config dirs, base_dir, queue and data directories, no
 * well-known port) and never touch them. What we start we stop by pid: the
 * Dovecot master is our child (`dovecot -F`, its own process group), the
 * Postfix master is read from its master.pid and checked to be ours (its
 * MAIL_CONFIG) before it is signalled; either is "stopped" only when no
 * process of its process group is left. If this process dies without
 * close() (a runner's timeout, ^C), an exit hook and a small watchdog shell
 * kill those process groups by pid and remove the folder. Every wait has a
 * time limit, and a failure carries the tails of the servers' logs.
 *
 * Mail: submission needs AUTH (PLAIN or LOGIN, checked by Dovecot through
 * its auth socket) and AUTH needs TLS. Recipients must be users made with
 * addUser: a domain no user has is refused with "Relay access denied", an
 * unknown user of a known domain with "User unknown in virtual mailbox
 * table"; nothing is ever sent off the machine. Postfix hands mail to Dovecot
 * by LMTP; IMAP (Maildir, special-use Drafts/Sent/Junk/Trash, separator "/")
 * accepts LOGIN only after STARTTLS on the plain port. Failed logins are
 * answered at once (no auth delay, no per-IP penalty).
 *
 * SEALPOST_NO_MAILSERVERS=1 makes mailServersAvailable() say no (tests skip);
 * SEALPOST_KEEP_MAILSERVERS=1 keeps the folder after close, for a look.
 *
 * Layout of a run's folder (mode 0755, so that the servers' users can reach
 * their parts):
 *   tls/          ca.pem ca.key server.pem server.key other-ca.pem (openssl)
 *   dovecot/      dovecot.conf, users (passwd-file, passdb and userdb),
 *                 run/ (base_dir: auth-postfix, lmtp-postfix sockets), state/
 *   mail/         maildirs, mail/DOMAIN/LOCAL/Maildir, owned by the mail user
 *   postfix/      conf/ (main.cf, master.cf, vdomains, vmailbox + .db),
 *                 queue/, data/ (owned by postfix)
 *   logs/         dovecot.log, dovecot.stderr, postfix.log
 *
 * Facts about Debian 12 (Dovecot 2.3.19, Postfix 3.7) that shaped this:
 * - Dovecot refuses to store mail as uid 0, so mail belongs to a dedicated
 *   system user (MAIL_USER, made with useradd the first time, idempotently).
 * - `postfix -c DIR` run as root takes any config dir; only the set-gid
 *   commands (postdrop, postqueue) run by others require DIR to be listed in
 *   alternate_config_directories of /etc/postfix/main.cf. The harness runs
 *   as root and leaves /etc/postfix alone.
 * - `maillog_file` must lie under one of `maillog_file_prefixes`; the data
 *   directory must belong to user postfix; Postfix's own commands print
 *   their fatal errors only to a terminal (or syslog), so they run under
 *   `script -qec` and what they print goes into the error.
 * - smtpd notices a rebuilt hash: table (the old .db file's link count
 *   drops to 0 when the new one is renamed over it) and restarts before the
 *   next connection, so addUser needs no reload; trivial-rewrite does not
 *   notice a rebuilt domain list (see main.cf below).
 * - Dovecot's master alone on SIGTERM leaves auth, stats, anvil and log
 *   running while Postfix's idle smtpd processes hold auth connections, so
 *   Dovecot is stopped by its process group. Its per-IP penalty for failed
 *   logins (4 s and more for the next login from 127.0.0.1) is turned off.
 * - Postfix programs keep re-reading a main.cf younger than about a second
 *   (300 ms apart) before they use it: the config files are dated back.
 */
import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants as fsConstants, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { connect as netConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { run } from '../process.ts';

export interface MailServers {
  /** IMAP: `port` plain with STARTTLS (143-style), `tlsPort` implicit TLS (993-style). */
  imap: { host: '127.0.0.1'; port: number; tlsPort: number };
  /** Submission: `port` with STARTTLS (587-style), `tlsPort` implicit TLS (465-style). AUTH only after TLS. */
  submission: { host: '127.0.0.1'; port: number; tlsPort: number };
  /** PEM of the per-run CA; the server certificate is for 127.0.0.1 and localhost (SAN IP and DNS). */
  ca: string;
  /** PEM of an unrelated CA, for wrong-CA tests. */
  otherCa: string;
  /**
   * A mailbox user (any domain); adding an existing address changes its
   * password. Resolves when both servers take it (up to a second: Dovecot
   * looks at its passwd-file at most once a second).
   */
  addUser(address: string, password: string): Promise<void>;
  /** Put a message into the user's INBOX directly (dovecot-lda), for seeding. */
  deliver(address: string, rawMessage: Uint8Array): Promise<void>;
  /** Paths of the user's stored message files (maildir cur/ and new/ of every folder), sorted. */
  mailFiles(address: string): Promise<string[]>;
  stopPostfix(): Promise<void>;
  startPostfix(): Promise<void>;
  restartDovecot(): Promise<void>;
  /** The tails of the servers' logs, for a test's own failure messages. */
  logs(): Promise<string>;
  /** Stops everything it started (by pid) and removes the temporary folder. */
  close(): Promise<void>;
}

const BIN = {
  dovecot: ['/usr/sbin/dovecot', 'dovecot-core'],
  lda: ['/usr/lib/dovecot/dovecot-lda', 'dovecot-core'],
  imap: ['/usr/lib/dovecot/imap', 'dovecot-imapd'],
  lmtp: ['/usr/lib/dovecot/lmtp', 'dovecot-lmtpd'],
  postfix: ['/usr/sbin/postfix', 'postfix'],
  postmap: ['/usr/sbin/postmap', 'postfix'],
  openssl: ['/usr/bin/openssl', 'openssl'],
  script: ['/usr/bin/script', 'util-linux'],
  useradd: ['/usr/sbin/useradd', 'passwd'],
} as const;
const bin = (name: keyof typeof BIN): string => BIN[name][0];

/** The system user that owns the stored mail (Dovecot refuses uid 0). */
export const MAIL_USER = 'sealpost-mail';
const DEFAULT_TIMEOUT_MS = 30_000;
/** Per step of stop/start/deliver after startup. */
const STEP_TIMEOUT_MS = 20_000;
const DH_FILE = '/usr/share/dovecot/dh.pem';

/** null when the servers can run here, else why not (tests skip with it). */
export function mailServersAvailable(): string | null {
  if (process.env.SEALPOST_NO_MAILSERVERS) return 'SEALPOST_NO_MAILSERVERS is set';
  if (process.platform !== 'linux') return 'the mail servers need Linux (Debian packages dovecot-imapd, dovecot-lmtpd, postfix)';
  if (process.getuid?.() !== 0) return 'the mail servers need root (the Postfix master and the Dovecot master start as root)';
  for (const [path, pkg] of Object.values(BIN)) {
    try {
      accessSync(path, fsConstants.X_OK);
    } catch {
      return `${path} is missing (Debian package ${pkg}; .ci/run installs it)`;
    }
  }
  const users = passwdEntries();
  for (const name of ['postfix', 'dovecot', 'dovenull']) {
    if (!users.has(name)) return `system user ${name} is missing (made by the postfix / dovecot-core packages)`;
  }
  return null;
}

// ---------------------------------------------------------------------------
// Process groups we started, killed by pid when this process exits without
// close() (and by the watchdog, see Servers.startWatchdog, when it is killed).

const started = new Set<number>();
let exitHook = false;
function track(pgid: number): void {
  started.add(pgid);
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const id of started) {
      try {
        process.kill(-id, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Live (not zombie) processes whose process group is `pgid`. */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    if (fields[0] !== 'Z' && fields[0] !== 'X' && Number(fields[2]) === pgid) out.push(Number(name));
  }
  return out;
}

/**
 * Stop a process group we started and wait until none of it is left: SIGTERM
 * to the leader (or to the whole group with `group`), SIGTERM to the whole
 * group after 3 s, SIGKILL to it at `timeoutMs`.
 */
async function stopGroup(pgid: number, what: string, timeoutMs: number, opts: { group: boolean }): Promise<void> {
  const signal = (target: number, sig: NodeJS.Signals) => {
    try {
      process.kill(target, sig);
    } catch {
      // gone already
    }
  };
  signal(opts.group ? -pgid : pgid, 'SIGTERM');
  const start = Date.now();
  let groupTermed = opts.group;
  let killed = false;
  while (groupMembers(pgid).length > 0) {
    const elapsed = Date.now() - start;
    if (!groupTermed && elapsed > 3_000) {
      groupTermed = true;
      signal(-pgid, 'SIGTERM');
    }
    if (!killed && elapsed > timeoutMs) {
      killed = true;
      signal(-pgid, 'SIGKILL');
    }
    if (elapsed > timeoutMs + 5_000) throw new Error(`${what} (process group ${pgid}) still running after SIGTERM and SIGKILL`);
    await sleep(25);
  }
  started.delete(pgid);
}

class Fatal extends Error {}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      if (await probe()) return;
    } catch (e) {
      if (e instanceof Fatal) throw e;
      last = message(e);
    }
    if (Date.now() >= end) throw new Error(`${what}: not ready after ${timeoutMs} ms${last ? ` (last try: ${last})` : ''}`);
    await sleep(50);
  }
}

/**
 * The first line the server says on `port` (plain, or implicit TLS checked
 * against `ca`); then `quit` is sent and the connection closed.
 */
function greeting(port: number, opts: { ca?: string; quit: string; timeoutMs?: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = opts.ca
      ? tlsConnect({ host: '127.0.0.1', port, ca: opts.ca, servername: 'localhost' })
      : netConnect({ host: '127.0.0.1', port });
    let buf = '';
    let done = false;
    const finish = (err: Error | null, line?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        socket.destroy();
        reject(err);
        return;
      }
      socket.end(opts.quit);
      setTimeout(() => socket.destroy(), 200).unref();
      resolve(line ?? '');
    };
    const timer = setTimeout(() => finish(new Error(`no greeting on port ${port}`)), opts.timeoutMs ?? 2_000);
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl >= 0) finish(null, buf.slice(0, nl).trim());
    });
    socket.on('error', (e) => finish(e));
    socket.on('close', () => finish(new Error(`port ${port} closed before a greeting`)));
  });
}

/** `n` distinct free ports on 127.0.0.1 (all held open at once while picking). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.on('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (!a || typeof a === 'string') throw new Error('no port');
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

function passwdEntries(): Map<string, { uid: number; gid: number }> {
  const out = new Map<string, { uid: number; gid: number }>();
  let text = '';
  try {
    text = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 4 && f[0]) out.set(f[0], { uid: Number(f[2]), gid: Number(f[3]) });
  }
  return out;
}

function groupGid(name: string): number {
  for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined) return Number(f[2]);
  }
  throw new Error(`group ${name} is missing`);
}

/** The mail storage user, made (system user, no home, no login) when missing; safe against a concurrent maker. */
async function ensureMailUser(timeoutMs: number): Promise<{ uid: number; gid: number }> {
  const end = Date.now() + timeoutMs;
  let lastErr = '';
  for (;;) {
    const found = passwdEntries().get(MAIL_USER);
    if (found) {
      if (found.uid === 0 || found.gid === 0) throw new Error(`user ${MAIL_USER} has uid or gid 0; Dovecot refuses to store mail as root`);
      return found;
    }
    if (Date.now() > end) throw new Error(`cannot make system user ${MAIL_USER}: ${lastErr}`);
    const r = await run(
      bin('useradd'),
      [
        '--system',
        '--user-group',
        '--no-create-home',
        '--home-dir',
        '/nonexistent',
        '--shell',
        '/usr/sbin/nologin',
        '--comment',
        'Sealpost test mail storage',
        MAIL_USER,
      ],
      { cwd: '/', timeoutMs: Math.max(1_000, end - Date.now()) },
    );
    // 9: exists (made meanwhile by another test process); 10: /etc/passwd locked by it.
    if (r.code !== 0) {
      lastErr = `useradd exited ${r.code}: ${r.stderr.toString('utf8').trim()}`;
      if (r.code !== 9) await sleep(200);
    }
  }
}

async function runChecked(cmd: string, args: string[], opts: { cwd: string; timeoutMs: number; stdin?: Uint8Array }): Promise<string> {
  const r = await run(cmd, args, opts);
  const out = `${r.stdout.toString('utf8')}${r.stderr.toString('utf8')}`.trim();
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code ?? r.signal}${out ? `: ${out}` : ''}`);
  return out;
}

/**
 * Write a Postfix configuration file dated a minute back: Postfix programs
 * re-read a main.cf younger than a second or so, 300 ms apart, until it is
 * older (2 s per command otherwise).
 */
async function writeConfig(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o644 });
  const past = new Date(Date.now() - 60_000);
  await utimes(path, past, past);
}

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** A Postfix command under a pseudo-terminal (`script`), which is where Postfix prints its fatal errors. */
async function postfixCommand(confDir: string, args: string[], timeoutMs: number): Promise<string> {
  const command = [bin('postfix'), '-c', confDir, ...args].map(shQuote).join(' ');
  return runChecked(bin('script'), ['--quiet', '--return', '--command', command, '/dev/null'], {
    cwd: '/',
    timeoutMs,
  });
}

async function tail(path: string, lines = 40): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    return (
      text
        .split('\n')
        .slice(-lines - 1)
        .join('\n')
        .trim() || '(empty)'
    );
  } catch (e) {
    return `(cannot read: ${message(e)})`;
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** The first line matching `pattern` written to the log at `path` after byte `from`, if any. */
async function newFatal(path: string, from: number, pattern: RegExp): Promise<string | null> {
  let text: string;
  try {
    text = (await readFile(path)).subarray(from).toString('utf8');
  } catch {
    return null;
  }
  return text.split('\n').find((line) => pattern.test(line)) ?? null;
}

/** user@domain, lowercased, limited to what can go into a maildir path and a passwd-file line. */
function normalizeAddress(address: string): { address: string; local: string; domain: string } {
  const a = address.trim().toLowerCase();
  const m = /^([a-z0-9!#$%&'*+=?^_`{|}~.-]+)@([a-z0-9-]+(?:\.[a-z0-9-]+)*)$/.exec(a);
  if (!m || m[1]!.startsWith('.') || m[1]!.endsWith('.') || m[1]!.includes('..')) {
    throw new Error(`mail servers: unsupported address ${JSON.stringify(address)} (want local@domain, ASCII)`);
  }
  return { address: a, local: m[1]!, domain: m[2]! };
}

interface Paths {
  root: string;
  tls: string;
  dovecotDir: string;
  dovecotConf: string;
  dovecotRun: string;
  users: string;
  mail: string;
  logs: string;
  dovecotLog: string;
  dovecotStderr: string;
  postfixConf: string;
  postfixQueue: string;
  postfixData: string;
  postfixLog: string;
}

function layout(root: string): Paths {
  return {
    root,
    tls: join(root, 'tls'),
    dovecotDir: join(root, 'dovecot'),
    dovecotConf: join(root, 'dovecot', 'dovecot.conf'),
    dovecotRun: join(root, 'dovecot', 'run'),
    users: join(root, 'dovecot', 'users'),
    mail: join(root, 'mail'),
    logs: join(root, 'logs'),
    dovecotLog: join(root, 'logs', 'dovecot.log'),
    dovecotStderr: join(root, 'logs', 'dovecot.stderr'),
    postfixConf: join(root, 'postfix', 'conf'),
    postfixQueue: join(root, 'postfix', 'queue'),
    postfixData: join(root, 'postfix', 'data'),
    postfixLog: join(root, 'logs', 'postfix.log'),
  };
}

async function makeTls(dir: string, timeoutMs: number): Promise<{ ca: string; otherCa: string }> {
  const tag = randomBytes(4).toString('hex');
  const ossl = (args: string[]) => runChecked(bin('openssl'), args, { cwd: dir, timeoutMs });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  const caExt = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
  await Promise.all([
    ossl([
      'req',
      '-x509',
      ...newKey,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '3',
      '-sha256',
      '-subj',
      `/O=Sealpost tests/CN=Sealpost test CA ${tag}`,
      ...caExt,
    ]),
    ossl([
      'req',
      '-x509',
      ...newKey,
      '-keyout',
      'other-ca.key',
      '-out',
      'other-ca.pem',
      '-days',
      '3',
      '-sha256',
      '-subj',
      `/O=Sealpost tests/CN=Unrelated test CA ${tag}`,
      ...caExt,
    ]),
    ossl(['req', '-new', ...newKey, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/O=Sealpost tests/CN=localhost']),
  ]);
  await writeFile(
    join(dir, 'server.ext'),
    [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = IP:127.0.0.1, DNS:localhost',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid, issuer',
      '',
    ].join('\n'),
  );
  const serial = `0x${randomBytes(8).toString('hex').replace(/^./, '1')}`;
  await ossl([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-set_serial',
    serial,
    '-days',
    '3',
    '-sha256',
    '-extfile',
    'server.ext',
    '-out',
    'server.pem',
  ]);
  for (const key of ['ca.key', 'other-ca.key', 'server.key']) await chmod(join(dir, key), 0o600);
  return { ca: await readFile(join(dir, 'ca.pem'), 'utf8'), otherCa: await readFile(join(dir, 'other-ca.pem'), 'utf8') };
}

function dovecotConfig(p: Paths, mailUser: { uid: number; gid: number }, imapPort: number, imapsPort: number, instance: string): string {
  const dh = (() => {
    try {
      accessSync(DH_FILE, fsConstants.R_OK);
      return `ssl_dh = <${DH_FILE}`;
    } catch {
      return '';
    }
  })();
  return `# Sealpost test instance (made by test/support/servers/mailservers.ts); nothing from /etc/dovecot.
instance_name = ${instance}
base_dir = ${p.dovecotRun}
state_dir = ${join(p.dovecotDir, 'state')}
protocols = imap lmtp
listen = 127.0.0.1
hostname = mail.sealpost.test
log_path = ${p.dovecotLog}
log_timestamp = "%Y-%m-%d %H:%M:%S "
auth_verbose = yes
auth_failure_delay = 0
disable_plaintext_auth = yes
auth_mechanisms = plain login

ssl = required
ssl_cert = <${join(p.tls, 'server.pem')}
ssl_key = <${join(p.tls, 'server.key')}
${dh}
ssl_min_protocol = TLSv1.2

first_valid_uid = ${mailUser.uid}
last_valid_uid = ${mailUser.uid}
first_valid_gid = ${mailUser.gid}
last_valid_gid = ${mailUser.gid}
mail_location = maildir:~/Maildir
mail_max_userip_connections = 100

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu ${p.users}
}
userdb {
  driver = passwd-file
  args = username_format=%Lu ${p.users}
  default_fields = uid=${mailUser.uid} gid=${mailUser.gid} home=${p.mail}/%Ld/%Ln
}

namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${imapPort}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${imapsPort}
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp-postfix {
    mode = 0600
    user = postfix
    group = postfix
  }
}
# No growing delay for an IP after failed logins (tests log in wrongly on purpose, all from 127.0.0.1).
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0600
    user = postfix
    group = postfix
  }
}
protocol lmtp {
  postmaster_address = postmaster@sealpost.test
}
protocol lda {
  postmaster_address = postmaster@sealpost.test
  log_path = /dev/stderr
  info_log_path = /dev/stderr
}
`;
}

function postfixMainCf(p: Paths): string {
  const conf = p.postfixConf;
  return `# Sealpost test instance (made by test/support/servers/mailservers.ts).
compatibility_level = 3.6
queue_directory = ${p.postfixQueue}
data_directory = ${p.postfixData}
maillog_file = ${p.postfixLog}
maillog_file_prefixes = ${p.root}
mail_owner = postfix
setgid_group = postdrop

myhostname = mail.sealpost.test
mydomain = sealpost.test
myorigin = $myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.1/32
smtpd_peername_lookup = no
biff = no
append_dot_mydomain = no
readme_directory = no

# No local delivery, and nothing leaves the machine. Every domain is a
# virtual mailbox domain delivered to Dovecot by LMTP, so that the address
# class never depends on a table that changes: trivial-rewrite (and qmgr
# through it) does not notice a rebuilt domain table and would keep the old
# one. smtpd does restart on a rebuilt table, so the checks that change with
# addUser live there: a recipient domain not in vdomains gets "Relay access
# denied", an unknown user of a known domain "User unknown in virtual
# mailbox table" (vmailbox).
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
relay_domains =
local_transport = error:local delivery is disabled on the Sealpost test server
default_transport = error:mail to other domains is disabled on the Sealpost test server
relay_transport = error:mail to other domains is disabled on the Sealpost test server
virtual_mailbox_domains = static:all
virtual_mailbox_maps = hash:${conf}/vmailbox
virtual_transport = lmtp:unix:${p.dovecotRun}/lmtp-postfix
# (reject_unauth_destination never fires here; smtpd insists on seeing one.)
smtpd_relay_restrictions = check_recipient_access hash:${conf}/vdomains, check_recipient_access static:{554 5.7.1 Relay access denied}, reject_unauth_destination
smtpd_recipient_restrictions =

smtpd_sasl_type = dovecot
smtpd_sasl_path = ${p.dovecotRun}/auth-postfix
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_tls_auth_only = yes
smtpd_tls_cert_file = ${p.tls}/server.pem
smtpd_tls_key_file = ${p.tls}/server.key
smtpd_tls_security_level = may
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_mandatory_protocols = >=TLSv1.2
smtpd_tls_session_cache_database =
smtpd_tls_loglevel = 1

# Quick retries, for tests that take Dovecot away while mail is queued.
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
`;
}

function postfixMasterCf(subPort: number, subsPort: number): string {
  const submission = (port: number, name: string, extra: string[]) =>
    [
      `127.0.0.1:${port} inet n - n - - smtpd`,
      `  -o syslog_name=postfix/${name}`,
      ...extra,
      '  -o smtpd_sasl_auth_enable=yes',
      '  -o smtpd_client_restrictions=permit_sasl_authenticated,reject',
    ].join('\n');
  return `# Sealpost test instance: submission only, nothing chrooted.
${submission(subPort, 'submission', ['  -o smtpd_tls_security_level=encrypt'])}
${submission(subsPort, 'submissions', ['  -o smtpd_tls_wrappermode=yes'])}
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`;
}

const ADDRESS_IN_USE = /address already in use/i;

class Servers implements MailServers {
  imap: { host: '127.0.0.1'; port: number; tlsPort: number } = { host: '127.0.0.1', port: 0, tlsPort: 0 };
  submission: { host: '127.0.0.1'; port: number; tlsPort: number } = { host: '127.0.0.1', port: 0, tlsPort: 0 };
  ca = '';
  otherCa = '';
  readonly p: Paths;
  readonly mailUser: { uid: number; gid: number };
  readonly instance = `sealpost-test-${randomBytes(4).toString('hex')}`;
  private dovecotPid: number | null = null;
  private dovecotExit: string | null = null;
  private postfixPid: number | null = null;
  private users = new Map<string, string>();
  private usersVersion = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private owned = new Set<number>();
  private watchdogPid: number | null = null;

  constructor(p: Paths, mailUser: { uid: number; gid: number }) {
    this.p = p;
    this.mailUser = mailUser;
  }

  private own(pgid: number): void {
    track(pgid);
    this.owned.add(pgid);
    this.writeOwned();
  }

  private disown(pgid: number): void {
    this.owned.delete(pgid);
    this.writeOwned();
  }

  private writeOwned(): void {
    try {
      writeFileSync(join(this.p.root, 'pgids'), [...this.owned].map((g) => `${g}\n`).join(''));
    } catch {
      // the folder is gone (close)
    }
  }

  /**
   * A small shell that outlives this process if it is killed (a test
   * runner's timeout, ^C): once this process is gone it SIGKILLs the process
   * groups listed in ROOT/pgids and removes the folder. close() ends it first.
   */
  startWatchdog(): void {
    const script = [
      'parent=$1; root=$2',
      'while kill -0 "$parent" 2>/dev/null; do sleep 1; done',
      'for g in $(cat "$root/pgids" 2>/dev/null); do kill -9 "-$g" 2>/dev/null; done',
      'rm -rf -- "$root"',
    ].join('\n');
    const child = spawn('/bin/sh', ['-c', script, 'sealpost-mail-watchdog', String(process.pid), this.p.root], {
      cwd: '/',
      detached: true,
      stdio: 'ignore',
    });
    child.on('error', () => undefined);
    child.unref();
    this.watchdogPid = child.pid ?? null;
  }

  private stopWatchdog(): void {
    if (this.watchdogPid === null) return;
    try {
      process.kill(-this.watchdogPid, 'SIGKILL');
    } catch {
      // gone
    }
    this.watchdogPid = null;
  }

  /** One state change at a time (addUser, start/stop), in call order. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async logs(): Promise<string> {
    return [
      `--- dovecot log (${this.p.dovecotLog}) ---`,
      await tail(this.p.dovecotLog),
      '--- dovecot stderr ---',
      await tail(this.p.dovecotStderr, 15),
      `--- postfix log (${this.p.postfixLog}) ---`,
      await tail(this.p.postfixLog),
    ].join('\n');
  }

  async fail(what: string, e: unknown): Promise<never> {
    throw new Error(`mail servers: ${what}: ${message(e)}\n${await this.logs()}`, { cause: e });
  }

  // -- setup ---------------------------------------------------------------

  async prepare(timeoutMs: number): Promise<void> {
    const p = this.p;
    for (const dir of [p.tls, p.dovecotDir, p.logs, join(p.root, 'postfix'), p.postfixConf, p.postfixQueue, p.postfixData]) {
      await mkdir(dir, { recursive: true, mode: 0o755 });
    }
    await mkdir(p.mail, { mode: 0o700 });
    await chown(p.mail, this.mailUser.uid, this.mailUser.gid);
    const pf = passwdEntries().get('postfix');
    if (!pf) throw new Error('system user postfix is missing');
    await chown(p.postfixData, pf.uid, pf.gid);
    await chmod(p.postfixData, 0o700);
    await writeFile(p.postfixLog, '', { mode: 0o600 });
    await writeFile(p.dovecotStderr, '', { mode: 0o600 });
    const tls = await makeTls(p.tls, timeoutMs);
    this.ca = tls.ca;
    this.otherCa = tls.otherCa;
    await writeConfig(join(p.postfixConf, 'main.cf'), postfixMainCf(p));
    await this.writeUsers(timeoutMs);
  }

  async startAll(deadline: number): Promise<void> {
    const left = () => Math.max(2_000, deadline - Date.now());
    for (let attempt = 1; ; attempt++) {
      const [imapPort, imapsPort] = await freePorts(2);
      this.imap = { host: '127.0.0.1', port: imapPort!, tlsPort: imapsPort! };
      await writeFile(this.p.dovecotConf, dovecotConfig(this.p, this.mailUser, imapPort!, imapsPort!, this.instance), { mode: 0o644 });
      try {
        await this.startDovecot(left());
        break;
      } catch (e) {
        const logs = await this.logs();
        if (attempt < 3 && ADDRESS_IN_USE.test(logs)) continue; // a port was taken between picking and binding
        throw e;
      }
    }
    for (let attempt = 1; ; attempt++) {
      const [subPort, subsPort] = await freePorts(2);
      this.submission = { host: '127.0.0.1', port: subPort!, tlsPort: subsPort! };
      await writeConfig(join(this.p.postfixConf, 'master.cf'), postfixMasterCf(subPort!, subsPort!));
      try {
        if (attempt === 1) await postfixCommand(this.p.postfixConf, ['check'], left()); // also makes the queue directories
        await this.startPostfixNow(left());
        break;
      } catch (e) {
        if (attempt < 3 && ADDRESS_IN_USE.test(`${message(e)}\n${await tail(this.p.postfixLog, 10)}`)) {
          if (this.postfixPid !== null) await this.stopPostfixNow(left());
          continue;
        }
        throw e;
      }
    }
  }

  // -- Dovecot ---------------------------------------------------------------

  private async startDovecot(timeoutMs: number): Promise<void> {
    const logStart = await fileSize(this.p.dovecotLog);
    const errFd = openSync(this.p.dovecotStderr, 'a');
    let child;
    try {
      child = spawn(bin('dovecot'), ['-F', '-c', this.p.dovecotConf], {
        cwd: this.p.root,
        detached: true,
        stdio: ['ignore', errFd, errFd],
      });
    } finally {
      closeSync(errFd);
    }
    const pid = child.pid;
    if (pid === undefined) throw new Error('dovecot did not start');
    child.unref();
    this.dovecotPid = pid;
    this.dovecotExit = null;
    this.own(pid);
    child.on('exit', (code, signal) => {
      if (this.dovecotPid === pid) this.dovecotExit = `dovecot exited (${code ?? signal})`;
    });
    child.on('error', (e) => {
      if (this.dovecotPid === pid) this.dovecotExit = `dovecot: ${e.message}`;
    });
    try {
      await waitFor('dovecot', timeoutMs, async () => {
        if (this.dovecotExit) throw new Fatal(this.dovecotExit);
        const fatal = await newFatal(this.p.dovecotLog, logStart, /\b(Fatal|Panic): /);
        if (fatal) throw new Fatal(fatal);
        for (const socket of ['auth-postfix', 'lmtp-postfix']) await stat(join(this.p.dovecotRun, socket));
        const plain = await greeting(this.imap.port, { quit: 'a LOGOUT\r\n' });
        if (!plain.startsWith('* OK')) throw new Error(`unexpected IMAP greeting ${plain}`);
        const tls = await greeting(this.imap.tlsPort, { ca: this.ca, quit: 'a LOGOUT\r\n' });
        if (!tls.startsWith('* OK')) throw new Error(`unexpected IMAPS greeting ${tls}`);
        return true;
      });
    } catch (e) {
      await this.stopDovecotNow(STEP_TIMEOUT_MS).catch(() => undefined);
      return this.fail('starting dovecot', e);
    }
  }

  private async stopDovecotNow(timeoutMs: number): Promise<void> {
    const pid = this.dovecotPid;
    if (pid === null) return;
    this.dovecotPid = null;
    // The whole group: Dovecot's services that still have clients (auth serving
    // Postfix's idle smtpd processes, and those serving auth) outlive a master
    // that got SIGTERM alone.
    await stopGroup(pid, 'dovecot', timeoutMs, { group: true });
    this.disown(pid);
  }

  restartDovecot(): Promise<void> {
    return this.serial(async () => {
      try {
        await this.stopDovecotNow(STEP_TIMEOUT_MS);
      } catch (e) {
        return this.fail('stopping dovecot', e);
      }
      await this.startDovecot(STEP_TIMEOUT_MS);
    });
  }

  // -- Postfix ---------------------------------------------------------------

  private async startPostfixNow(timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    const left = () => Math.max(1_000, end - Date.now());
    const logStart = await fileSize(this.p.postfixLog);
    try {
      await postfixCommand(this.p.postfixConf, ['start'], left());
      const pid = Number((await readFile(join(this.p.postfixQueue, 'pid', 'master.pid'), 'utf8')).trim());
      if (!Number.isInteger(pid) || pid <= 1) throw new Error('no pid in master.pid');
      // Ours only if it runs with our config dir (postfix hands it over in MAIL_CONFIG).
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (!env.includes(`MAIL_CONFIG=${this.p.postfixConf}`)) throw new Error(`pid ${pid} from master.pid is not our Postfix master`);
      // It leads its own process group (setsid), which is what stopGroup waits on.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (pgrp !== pid) throw new Error(`the postfix master ${pid} is in process group ${pgrp}, not its own`);
      this.postfixPid = pid;
      this.own(pid);
      await waitFor('postfix', left(), async () => {
        if (groupMembers(pid).length === 0) throw new Fatal('the postfix master exited');
        const fatal = await newFatal(this.p.postfixLog, logStart, /\b(fatal|panic): |bad command startup/);
        if (fatal) throw new Fatal(fatal);
        const plain = await greeting(this.submission.port, { quit: 'QUIT\r\n' });
        if (!plain.startsWith('220 ')) throw new Error(`unexpected SMTP greeting ${plain}`);
        const tls = await greeting(this.submission.tlsPort, { ca: this.ca, quit: 'QUIT\r\n' });
        if (!tls.startsWith('220 ')) throw new Error(`unexpected SMTP greeting over TLS ${tls}`);
        return true;
      });
    } catch (e) {
      return this.fail('starting postfix', e);
    }
  }

  private async stopPostfixNow(timeoutMs: number): Promise<void> {
    const pid = this.postfixPid;
    if (pid === null) return;
    this.postfixPid = null;
    try {
      // The master takes its process group down itself (postfix stop does the same).
      await stopGroup(pid, 'postfix master', timeoutMs, { group: false });
      this.disown(pid);
    } catch (e) {
      return this.fail('stopping postfix', e);
    }
  }

  stopPostfix(): Promise<void> {
    return this.serial(() => this.stopPostfixNow(STEP_TIMEOUT_MS));
  }

  startPostfix(): Promise<void> {
    return this.serial(async () => {
      if (this.postfixPid !== null) return;
      await this.startPostfixNow(STEP_TIMEOUT_MS);
    });
  }

  // -- users and mail --------------------------------------------------------

  /** Write the passwd-file and the Postfix maps; each file replaced by rename, so that readers see old or new. */
  private async writeUsers(timeoutMs: number): Promise<void> {
    const lines = [...this.users].map(([a, pw]) => `${a}:{PLAIN.b64}${Buffer.from(pw, 'utf8').toString('base64')}::::::\n`);
    const tmp = `${this.p.users}.new`;
    await writeFile(tmp, lines.join(''), { mode: 0o640 });
    await chown(tmp, 0, groupGid('dovecot'));
    // Dovecot re-reads a passwd-file when its mtime (in seconds) or size
    // differs from what it read: a stamp of its own per version, so that two
    // versions within a second are told apart.
    this.usersVersion += 1;
    const stamp = new Date((1_000_000_000 + this.usersVersion) * 1000);
    await utimes(tmp, stamp, stamp);
    await rename(tmp, this.p.users);
    const domains = new Set([...this.users.keys()].map((a) => normalizeAddress(a).domain));
    await this.writeMap(
      'vdomains',
      [...domains].map((d) => `${d} OK\n`),
      timeoutMs,
    );
    await this.writeMap(
      'vmailbox',
      [...this.users.keys()].map((a) => `${a} OK\n`),
      timeoutMs,
    );
  }

  private async writeMap(name: string, lines: string[], timeoutMs: number): Promise<void> {
    const path = join(this.p.postfixConf, name);
    const tmp = `${path}.new`;
    await writeFile(tmp, lines.join(''), { mode: 0o644 });
    await runChecked(bin('postmap'), ['-c', this.p.postfixConf, `hash:${tmp}`], { cwd: this.p.postfixConf, timeoutMs });
    await rename(`${tmp}.db`, `${path}.db`);
    await rename(tmp, path);
  }

  addUser(address: string, password: string): Promise<void> {
    const a = normalizeAddress(address).address;
    return this.serial(async () => {
      this.users.set(a, password);
      try {
        await this.writeUsers(STEP_TIMEOUT_MS);
      } catch (e) {
        return this.fail(`adding user ${a}`, e);
      }
      // Dovecot looks at the passwd-file at most once per second of its clock
      // (the same clock): from the next second on, every lookup sees the change.
      await sleep(1_000 - (Date.now() % 1_000) + 20);
    });
  }

  async deliver(address: string, rawMessage: Uint8Array): Promise<void> {
    const a = normalizeAddress(address).address;
    const r = await run(bin('lda'), ['-c', this.p.dovecotConf, '-e', '-f', 'seed@sealpost.test', '-d', a], {
      cwd: this.p.root,
      stdin: rawMessage,
      timeoutMs: STEP_TIMEOUT_MS,
    });
    if (r.code !== 0) {
      return this.fail(`delivering to ${a}`, `dovecot-lda exited ${r.code ?? r.signal}: ${r.stderr.toString('utf8').trim()}`);
    }
  }

  async mailFiles(address: string): Promise<string[]> {
    const { local, domain } = normalizeAddress(address);
    const maildir = join(this.p.mail, domain, local, 'Maildir');
    const folders = [maildir];
    try {
      for (const e of await readdir(maildir, { withFileTypes: true })) {
        if (e.isDirectory() && e.name.startsWith('.') && e.name !== '.' && e.name !== '..') folders.push(join(maildir, e.name));
      }
    } catch {
      return [];
    }
    const files: string[] = [];
    for (const folder of folders) {
      for (const sub of ['cur', 'new']) {
        let names: string[];
        try {
          names = await readdir(join(folder, sub));
        } catch {
          continue;
        }
        files.push(...names.filter((n) => !n.startsWith('.')).map((n) => join(folder, sub, n)));
      }
    }
    return files.sort();
  }

  // -- teardown ----------------------------------------------------------------

  close(): Promise<void> {
    return this.serial(async () => {
      if (this.closed) return;
      this.closed = true;
      this.stopWatchdog();
      const errors: string[] = [];
      await this.stopPostfixNow(STEP_TIMEOUT_MS).catch((e: unknown) => errors.push(message(e)));
      await this.stopDovecotNow(STEP_TIMEOUT_MS).catch((e: unknown) => errors.push(message(e)));
      if (process.env.SEALPOST_KEEP_MAILSERVERS) console.error(`mail servers: kept ${this.p.root}`);
      else await rm(this.p.root, { recursive: true, force: true, maxRetries: 3 });
      if (errors.length) throw new Error(`mail servers: close: ${errors.join('; ')}`);
    });
  }
}

/**
 * Start Dovecot and Postfix for one test run. `timeoutMs` bounds the whole
 * start (default 30 s); on failure everything started so far is stopped and
 * the error carries the logs. Set SEALPOST_KEEP_MAILSERVERS=1 to keep the
 * temporary folder after close (or a failed start), for a look.
 */
export async function startMailServers(opts: { timeoutMs?: number } = {}): Promise<MailServers> {
  const reason = mailServersAvailable();
  if (reason) throw new Error(`mail servers unavailable: ${reason}`);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const mailUser = await ensureMailUser(Math.min(10_000, timeoutMs));
  const root = await mkdtemp(join(tmpdir(), 'sealpost-mail-'));
  if (!/^[A-Za-z0-9_./-]+$/.test(root)) {
    await rm(root, { recursive: true, force: true });
    throw new Error(`mail servers: temporary folder ${root} has characters the server configs cannot take; set TMPDIR`);
  }
  await chmod(root, 0o755);
  const servers = new Servers(layout(root), mailUser);
  servers.startWatchdog();
  try {
    await servers.prepare(Math.max(2_000, deadline - Date.now()));
    await servers.startAll(deadline);
    return servers;
  } catch (e) {
    await servers.close().catch(() => undefined);
    throw e;
  }
}
