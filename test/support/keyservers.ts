// Keyserver stand-ins for tests: a VKS server (the API of keys.openpgp.org,
// https://keys.openpgp.org/about/api) and an HKP one (draft-gallagher-openpgp-hkp,
// op=get and op=index with options=mr), each over HTTPS on 127.0.0.1 with a
// certificate from a CA made by openssl for the run; and keys made by GnuPG.
// Both speak the protocols as the real servers do: application/pgp-keys for
// keys, application/json for the VKS API, 404 for nothing.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export interface TestPki {
  /** The CA certificate (PEM) and where it lies (for NODE_EXTRA_CA_CERTS). */
  ca: string;
  caPath: string;
  key: string;
  cert: string;
}

function openssl(cwd: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

/** A CA and a server certificate for `hosts` signed by it, as files `dir/name-*`. */
export function makeTestPki(dir: string, name: string, hosts: readonly string[]): TestPki {
  const at = (f: string) => `${name}-${f}`;
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    dir,
    'req',
    '-x509',
    ...ec,
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.pem'),
    '-days',
    '2',
    '-subj',
    `/CN=Sealpost ${name} test CA`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  );
  openssl(dir, 'req', ...ec, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', `/CN=${hosts[0] ?? 'localhost'}`);
  writeFileSync(
    join(dir, at('server.ext')),
    `subjectAltName=${hosts.map((h) => (/^\d+\.\d+\.\d+\.\d+$/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',')}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
  );
  openssl(
    dir,
    'x509',
    '-req',
    '-in',
    at('server.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-out',
    at('server.pem'),
    '-days',
    '2',
    '-extfile',
    at('server.ext'),
  );
  const read = (f: string) => readFileSync(join(dir, at(f)), 'utf8');
  return { ca: read('ca.pem'), caPath: join(dir, at('ca.pem')), key: read('server.key'), cert: read('server.pem') };
}

/** A key made by GnuPG in its own GNUPGHOME: its fingerprint, addresses, and the public key armored. */
export interface GpgKey {
  fpr: string;
  emails: string[];
  armored: string;
}

function gpg(home: string, args: string[], input?: string): string {
  return execFileSync('gpg', ['--homedir', home, '--batch', '--no-tty', '--quiet', ...args], {
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 60_000,
  });
}

/** A fresh key (Ed25519 with a Curve25519 encryption subkey, no passphrase) for `userId`, in GNUPGHOME `home` (made 0700 by the caller). */
export function gpgMakeKey(home: string, userId: string): GpgKey {
  gpg(home, ['--pinentry-mode', 'loopback', '--passphrase', '', '--quick-gen-key', userId, 'future-default', 'default', '2y']);
  const colons = gpg(home, ['--with-colons', '--list-keys', userId]);
  const fpr = /^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/m.exec(colons)![1]!;
  return { fpr, emails: [/<([^>]+)>/.exec(userId)![1]!], armored: gpgExport(home, fpr) };
}

export function gpgExport(home: string, fpr: string): string {
  return gpg(home, ['--armor', '--export', fpr]);
}

/** Revoke the key with the revocation certificate GnuPG made with it; the revoked public key, armored. */
export function gpgRevoke(home: string, fpr: string): string {
  const cert = readFileSync(join(home, 'openpgp-revocs.d', `${fpr}.rev`), 'utf8').replace(/^:-----BEGIN/m, '-----BEGIN');
  gpg(home, ['--import'], cert);
  return gpgExport(home, fpr);
}

/** Fingerprints and addresses in some armored key material, as GnuPG reads it (nothing imported). */
export function gpgShow(home: string, armored: string): Array<{ fpr: string; emails: string[] }> {
  const colons = gpg(home, ['--with-colons', '--import-options', 'show-only', '--import'], armored);
  const out: Array<{ fpr: string; emails: string[] }> = [];
  let inPrimary = false;
  for (const line of colons.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'pub') {
      out.push({ fpr: '', emails: [] });
      inPrimary = true;
    } else if (f[0] === 'sub') inPrimary = false;
    else if (f[0] === 'fpr' && inPrimary && out.at(-1)!.fpr === '') out.at(-1)!.fpr = f[9]!;
    else if (f[0] === 'uid') {
      const email = /<([^>]+)>/.exec(f[9] ?? '')?.[1];
      if (email) out.at(-1)!.emails.push(email);
    }
  }
  return out;
}

interface Entry {
  fpr: string;
  emails: string[];
  armored: string;
}

export interface StandIn {
  port: number;
  /** Every request, as METHOD PATH?QUERY. */
  requests: string[];
  close(): Promise<void>;
}

function listening(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      if (!a || typeof a === 'string') reject(new Error('no port'));
      else resolve(a.port);
    });
  });
}

function closing(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

async function body(req: IncomingMessage, max = 1 << 20): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const c of req) {
    total += (c as Buffer).length;
    if (total > max) throw new Error('too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const text = (res: ServerResponse, status: number, t: string) =>
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(t);
const keysAnswer = (res: ServerResponse, armored: string) =>
  res.writeHead(200, { 'content-type': 'application/pgp-keys', 'content-length': Buffer.byteLength(armored) }).end(armored);
const json = (res: ServerResponse, status: number, v: unknown) => {
  const s = JSON.stringify(v);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) }).end(s);
};

export interface VksStandIn extends StandIn {
  /** Serve a key, its addresses published (as after their confirmation). */
  publish(armored: string, fpr: string, emails: string[]): void;
  /** Keys uploaded, by token. */
  uploads: Map<string, { fpr: string; emails: string[]; armored: string }>;
  /** What request-verify was asked: the "mails" sent. */
  verifyRequests: Array<{ token: string; addresses: string[]; locale: string[] }>;
}

/** A VKS server (Hagrid's API): by-email, by-fingerprint, upload, request-verify. `gnupgHome` is where it reads uploads with GnuPG. */
export async function startVks(pki: TestPki, gnupgHome: string): Promise<VksStandIn> {
  const published = new Map<string, Entry>();
  const uploads = new Map<string, Entry>();
  const verifyRequests: VksStandIn['verifyRequests'] = [];
  const pending = new Set<string>();
  const requests: string[] = [];
  const stateOf = (fpr: string, email: string) =>
    published.get(fpr)?.emails.some((e) => e.toLowerCase() === email.toLowerCase())
      ? 'published'
      : pending.has(`${fpr} ${email.toLowerCase()}`)
        ? 'pending'
        : 'unpublished';
  const server = createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    res.on('error', () => {});
    const url = new URL(req.url ?? '/', 'https://vks.invalid');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const handle = async () => {
      const byEmail = /^\/vks\/v1\/by-email\/(.+)$/.exec(url.pathname);
      const byFpr = /^\/vks\/v1\/by-fingerprint\/([0-9A-F]{40})$/.exec(url.pathname);
      if (req.method === 'GET' && byEmail) {
        const email = decodeURIComponent(byEmail[1]!).toLowerCase();
        const hit = [...published.values()].find((e) => e.emails.some((x) => x.toLowerCase() === email));
        return hit ? keysAnswer(res, hit.armored) : text(res, 404, 'No key found for that email address');
      }
      if (req.method === 'GET' && byFpr) {
        const hit = published.get(byFpr[1]!);
        return hit ? keysAnswer(res, hit.armored) : text(res, 404, 'No key found for that fingerprint');
      }
      if (req.method === 'POST' && (url.pathname === '/vks/v1/upload' || url.pathname === '/vks/v1/request-verify')) {
        if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
          return json(res, 400, { error: 'expected application/json' });
        let doc: Record<string, unknown>;
        try {
          doc = JSON.parse(await body(req));
        } catch {
          return json(res, 400, { error: 'malformed JSON' });
        }
        if (url.pathname === '/vks/v1/upload') {
          if (typeof doc.keytext !== 'string') return json(res, 400, { error: 'missing keytext' });
          if (doc.keytext.includes('PRIVATE KEY')) return json(res, 400, { error: 'secret key material' });
          const [key] = gpgShow(gnupgHome, doc.keytext);
          if (!key) return json(res, 400, { error: 'no key in keytext' });
          const token = randomBytes(12).toString('hex');
          uploads.set(token, { ...key, armored: doc.keytext });
          return json(res, 200, {
            key_fpr: key.fpr,
            token,
            status: Object.fromEntries(key.emails.map((e) => [e, stateOf(key.fpr, e)])),
          });
        }
        const up = typeof doc.token === 'string' ? uploads.get(doc.token) : undefined;
        if (!up) return json(res, 400, { error: 'unknown token' });
        const addresses = Array.isArray(doc.addresses) ? doc.addresses.map(String) : [];
        verifyRequests.push({ token: doc.token as string, addresses, locale: Array.isArray(doc.locale) ? doc.locale.map(String) : [] });
        for (const a of addresses) pending.add(`${up.fpr} ${a.toLowerCase()}`);
        return json(res, 200, {
          key_fpr: up.fpr,
          token: doc.token,
          status: Object.fromEntries(up.emails.map((e) => [e, stateOf(up.fpr, e)])),
        });
      }
      text(res, 404, 'Not found');
    };
    handle().catch(() => text(res, 500, 'internal error'));
  });
  const port = await listening(server);
  return {
    port,
    requests,
    uploads,
    verifyRequests,
    publish: (armored, fpr, emails) => void published.set(fpr, { fpr, emails, armored }),
    close: () => closing(server),
  };
}

export interface HkpStandIn extends StandIn {
  /** Serve a key under its addresses and fingerprint (replacing what was served for that fingerprint). */
  serve(armored: string, fpr: string, emails: string[]): void;
}

/** An HKP server: /pks/lookup op=get and op=index, options=mr; search by address or 0x + fingerprint or key id. */
export async function startHkp(pki: TestPki): Promise<HkpStandIn> {
  const entries = new Map<string, Entry>();
  const requests: string[] = [];
  const matches = (e: Entry, search: string) => {
    if (/^0x[0-9a-f]{16,64}$/i.test(search)) return e.fpr.endsWith(search.slice(2).toUpperCase());
    return e.emails.some((x) => x.toLowerCase() === search.toLowerCase());
  };
  const server = createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    res.on('error', () => {});
    const url = new URL(req.url ?? '/', 'https://hkp.invalid');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.method !== 'GET' || url.pathname !== '/pks/lookup') return text(res, 404, 'Not found');
    const op = url.searchParams.get('op');
    const search = url.searchParams.get('search') ?? '';
    const hits = [...entries.values()].filter((e) => matches(e, search));
    if (op !== 'get' && op !== 'index') return text(res, 501, 'Not implemented');
    if (hits.length === 0) return text(res, 404, 'No keys found');
    if (op === 'get') return keysAnswer(res, hits.map((h) => h.armored).join(''));
    // Machine-readable index (section 5.2): info, then pub and uid lines; uids %-escaped.
    const lines = [`info:1:${hits.length}`];
    for (const h of hits) {
      lines.push(`pub:${h.fpr}:22:256:::`);
      for (const e of h.emails) lines.push(`uid:${encodeURIComponent(`<${e}>`)}:::`);
    }
    text(res, 200, `${lines.join('\n')}\n`);
  });
  const port = await listening(server);
  return {
    port,
    requests,
    serve: (armored, fpr, emails) => void entries.set(fpr, { fpr, emails, armored }),
    close: () => closing(server),
  };
}
