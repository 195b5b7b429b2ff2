/**
 * What the end-to-end tests of the app need around it: mail written the way
 * a GnuPG user's mail program writes it (PGP/MIME, RFC 3156) and sent
 * through the loopback Postfix, the OpenPGP message inside a delivered
 * file, the packets of a saved key file, and screenshots in both themes.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createTransport } from 'nodemailer';
import type { Page } from 'playwright-core';
import type { MailServers } from './servers/mailservers.ts';
import { dearmor, parsePackets } from './peers/peers.ts';
import { screenshot } from './browser.ts';

const CRLF = '\r\n';

export interface PgpMimeOptions {
  from: string;
  to: string;
  subject: string;
  messageId: string;
  /** The armored OpenPGP message (encrypted, and signed inside when the sender signed). */
  armored: string;
}

/** A multipart/encrypted message (RFC 3156, section 4) around `armored`, as Enigmail or mutt send it. */
export function pgpMimeMessage(o: PgpMimeOptions): Buffer {
  const boundary = `----=_gpg_${randomBytes(8).toString('hex')}`;
  const lines = [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${o.messageId}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted"; boundary="${boundary}"`,
    '',
    'This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)',
    `--${boundary}`,
    'Content-Type: application/pgp-encrypted',
    'Content-Description: PGP/MIME version identification',
    '',
    'Version: 1',
    '',
    `--${boundary}`,
    'Content-Type: application/octet-stream; name="encrypted.asc"',
    'Content-Description: OpenPGP encrypted message',
    'Content-Disposition: inline; filename="encrypted.asc"',
    '',
    o.armored.replace(/\r?\n/g, CRLF).trimEnd(),
    `--${boundary}--`,
    '',
  ];
  return Buffer.from(lines.join(CRLF), 'utf8');
}

/** The plain text part a mail program encrypts: UTF-8, 8 bit, CRLF. */
export function textPart(text: string): Buffer {
  return Buffer.from(
    ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', ...text.split('\n'), ''].join(CRLF),
    'utf8',
  );
}

/** Sends `raw` as `user` through the loopback Postfix (submission, STARTTLS, AUTH), as the user's mail program would. */
export async function submit(servers: MailServers, user: string, password: string, to: string[], raw: Buffer): Promise<void> {
  const transport = createTransport({
    host: '127.0.0.1',
    port: servers.submission.port,
    requireTLS: true,
    auth: { user, pass: password },
    tls: { ca: [servers.ca] },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  try {
    await transport.sendMail({ envelope: { from: user, to }, raw });
  } finally {
    transport.close();
  }
}

/** The armored OpenPGP message inside a PGP/MIME message. */
export function armoredIn(raw: Buffer): string {
  const text = raw.toString('latin1');
  const start = text.indexOf('-----BEGIN PGP MESSAGE-----');
  const end = text.indexOf('-----END PGP MESSAGE-----');
  assert.ok(start >= 0 && end > start, 'an armored OpenPGP message');
  return text.slice(start, end + '-----END PGP MESSAGE-----'.length);
}

/** A message's header block (up to the first empty line), unfolded. */
export function headerBlock(raw: Buffer): string {
  const text = raw.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  return (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
}

export interface PacketSummary {
  tag: number;
  /** Secret key packets (5, 7): the S2K usage octet (0 = not protected; 254, 255, 253 = protected). */
  s2kUsage?: number;
  /** Signature packets (2): the signature type (0x20 = key revocation). */
  signatureType?: number;
}

/** The packets of an armored (or binary) OpenPGP file, with what tells a protected key and a revocation apart. */
export function packetSummary(data: string | Uint8Array): PacketSummary[] {
  return parsePackets(dearmor(data)).map(({ tag, body }) => {
    if ((tag === 5 || tag === 7) && body[0] === 4) {
      // v4 public key fields: version, created (4), algorithm, then the algorithm's MPIs; the S2K usage follows them.
      return { tag, s2kUsage: s2kUsageV4(body) };
    }
    if (tag === 2 && (body[0] === 4 || body[0] === 6)) return { tag, signatureType: body[1] };
    return { tag };
  });
}

/** Where a v4 secret key packet's S2K usage octet lies: after the public part (EdDSA, ECDH, RSA, ECDSA). */
function s2kUsageV4(body: Uint8Array): number | undefined {
  const algorithm = body[5];
  let at = 6;
  const mpi = () => {
    const bits = ((body[at] ?? 0) << 8) | (body[at + 1] ?? 0);
    at += 2 + Math.ceil(bits / 8);
  };
  const oid = () => {
    at += 1 + (body[at] ?? 0);
  };
  switch (algorithm) {
    case 1: // RSA: n, e
      mpi();
      mpi();
      break;
    case 19: // ECDSA: oid, point
    case 22: // EdDSA (legacy): oid, point
      oid();
      mpi();
      break;
    case 18: // ECDH: oid, point, KDF parameters
      oid();
      mpi();
      at += 1 + (body[at] ?? 0);
      break;
    default:
      return undefined;
  }
  return body[at];
}

/** A screenshot in the light theme and one in the dark (the system's scheme, which the app follows until the user picks one). */
export async function screenshotBothThemes(page: Page, name: string): Promise<string[]> {
  const paths: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.locator(`html[data-theme="${scheme}"]`).waitFor({ state: 'attached' });
    paths.push(await screenshot(page, `e2e-${name}-${scheme}`));
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.locator('html[data-theme="light"]').waitFor({ state: 'attached' });
  return paths;
}
