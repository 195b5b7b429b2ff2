/**
 * Composing a message: one RFC 5322 message, PGP/MIME (RFC 3156) when it is
 * signed or encrypted, with the headers protected inside the signed or
 * encrypted part (RFC 9788, and the older `protected-headers="v1"` that
 * Thunderbird and Enigmail read) and an Autocrypt header for the sender's key.
 *
 * The MIME body (text, HTML alternative, attachments) is built by nodemailer's
 * MailComposer; every OpenPGP operation is asked of the keyring. The wrapping
 * layers (multipart/signed, multipart/encrypted) and the header sections are
 * written here, so that the bytes that are signed are exactly the bytes that
 * stand between the boundaries.
 *
 * A signature covers the exact bytes of the signed entity, and mail servers
 * rewrite what they think they may: 8-bit text, long lines, trailing
 * whitespace, a line starting with "From ". So the entity is made 7-bit safe
 * before it is signed or encrypted: text parts quoted-printable (or base64
 * when that is shorter), attachments base64, "From " at a line start written
 * as "=46rom ", CRLF line endings throughout; and it is checked afterwards.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { domainToASCII } from 'node:url';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import MimeNode from 'nodemailer/lib/mime-node/index.js';
import { foldLines } from 'nodemailer/lib/mime-funcs/index.js';
import { SealpostError } from '../../../app/errors.ts';
import type { KeySummary } from '../../../app/keys.ts';
import type { KeyringClient } from '../../../keyring/client.ts';
import { sameAddress } from '../read/addresses.ts';

export interface Address {
  name: string;
  address: string;
}

export interface DraftAttachment {
  filename: string;
  contentType: string;
  content: Uint8Array;
}

export interface Draft {
  from: Address;
  to: Address[];
  cc: Address[];
  bcc?: Address[];
  subject: string;
  text: string;
  html?: string;
  attachments: DraftAttachment[];
  inReplyTo?: string;
  references?: string[];
}

export interface ComposeOptions {
  encrypt: boolean;
  sign: boolean;
  attachKey: boolean;
  keyPasswords: string[];
  now?: Date;
  messageId?: string;
  /**
   * The draft of the message (stored, and kept in the Drafts folder): it may
   * have no recipient yet, its Bcc stays in its header section (inside, when
   * encrypted) for the composer to get back, it carries no Autocrypt header,
   * and when encrypted it is encrypted to the sender alone (the recipients
   * may still change), with only Date, From, Message-ID and the obscured
   * Subject outside: a draft goes nowhere.
   */
  draft?: boolean;
}

/** The outer Subject of an encrypted message (RFC 9788 obscures it; "..." as Thunderbird writes it). */
export const OBSCURED_SUBJECT = '...';

const CRLF = '\r\n';

// ---------------------------------------------------------------------------
// Input checks

/** An addr-spec without display parts: something@domain, no spaces, brackets or separators. */
const ADDR_SPEC = /^[^\s<>()[\]\\,;:"@]+@[^\s<>()[\]\\,;:"@]+$/u;

function cleanAddress(a: Address, role: string): Address {
  const address = String(a.address ?? '').trim();
  if (!ADDR_SPEC.test(address)) throw new SealpostError('bad-input', `${role} "${address.slice(0, 200)}" is not an email address`);
  // A non-ASCII local part needs SMTPUTF8 and 8-bit headers (RFC 6531, 6532); a domain is written in punycode.
  if (/[^\x00-\x7f]/.test(address.slice(0, address.lastIndexOf('@')))) {
    throw new SealpostError('bad-input', `${role} "${address.slice(0, 200)}" has a non-ASCII local part, which cannot be sent yet`);
  }
  if (!domainToASCII(address.slice(address.lastIndexOf('@') + 1)))
    throw new SealpostError('bad-input', `${role} "${address.slice(0, 200)}" has no valid domain`);
  // No control characters in a display name: they would end the header line.
  const name = String(a.name ?? '')
    .replace(/[\x00-\x1f\x7f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return { name, address };
}

function domainOf(address: string): string {
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  return domainToASCII(domain) || domain;
}

/** The address as it is written in headers: the domain in punycode. */
function asciiAddress(address: string): string {
  return `${address.slice(0, address.lastIndexOf('@'))}@${domainOf(address)}`;
}

function msgId(value: string, what: string): string {
  const v = value.trim();
  const id = v.startsWith('<') ? v : `<${v}>`;
  if (!/^<[\x21-\x3b\x3d\x3f-\x7e]+>$/.test(id)) throw new SealpostError('bad-input', `${what} "${v.slice(0, 200)}" is not a message id`);
  return id;
}

/** One logical line of text: no line breaks, no trailing whitespace (a server may strip it under a signature). */
function oneLine(value: string): string {
  return value
    .replace(/[\r\n]+[ \t]*/g, ' ')
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '')
    .trim();
}

function crlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, CRLF);
}

// ---------------------------------------------------------------------------
// Keys

function isUsableForEncryption(k: KeySummary, now: number): boolean {
  return k.canEncrypt && !k.revoked && !(k.expires && Date.parse(k.expires) <= now) && k.trust !== 'rejected';
}

function whyUnusable(k: KeySummary, now: number): string {
  if (k.revoked) return `key ${k.fingerprint} is revoked`;
  if (k.expires && Date.parse(k.expires) <= now) return `key ${k.fingerprint} expired on ${k.expires.slice(0, 10)}`;
  if (k.trust === 'rejected') return `key ${k.fingerprint} is rejected`;
  return `key ${k.fingerprint} cannot encrypt`;
}

/** Prefer a verified key, then the newest. */
function best(keys: KeySummary[]): KeySummary {
  return [...keys].sort(
    (a, b) => Number(b.trust === 'verified') - Number(a.trust === 'verified') || Date.parse(b.created) - Date.parse(a.created),
  )[0]!;
}

/**
 * Every key with a valid user id that carries the address: `keys.show`, and
 * the whole list when several keys carry it or the address is spelled in
 * another case than in the user id.
 */
async function keysCarrying(keyring: KeyringClient, address: string, secret: boolean): Promise<KeySummary[]> {
  let found: KeySummary[];
  try {
    found = [await keyring.call('keys.show', { query: address })];
  } catch (e) {
    if (!(e instanceof SealpostError && (e.code === 'key-not-found' || e.code === 'key-ambiguous'))) throw e;
    found = await keyring.call('keys.list', { secret });
  }
  return found.filter((k) => k.emails.some((m) => sameAddress(m, address)));
}

/** The key to encrypt to for an address, or why there is none. */
export async function recipientKey(
  keyring: KeyringClient,
  address: string,
  now = Date.now(),
): Promise<{ key: KeySummary } | { problem: string }> {
  const candidates = await keysCarrying(keyring, address, false);
  if (candidates.length === 0) return { problem: 'no key' };
  const usable = candidates.filter((k) => isUsableForEncryption(k, now));
  if (usable.length === 0) return { problem: candidates.map((k) => whyUnusable(k, now)).join(', ') };
  return { key: best(usable) };
}

/** The sender's own key: a secret key that can sign and whose user id carries the address. Null when there is none. */
export async function senderKey(keyring: KeyringClient, address: string, now = Date.now()): Promise<KeySummary | null> {
  const candidates = (await keysCarrying(keyring, address, true)).filter(
    (k) => k.hasSecret && k.canSign && !k.revoked && !(k.expires && Date.parse(k.expires) <= now),
  );
  return candidates.length > 0 ? best(candidates) : null;
}

/** The display name in the sender key's user id for the address ("Alice <a@b>" -> "Alice"), or "". */
export function nameFromKey(key: KeySummary, address: string): string {
  for (const uid of key.userIds) {
    const m = /^(.*?)\s*<([^<>]+)>\s*$/.exec(uid);
    if (m && sameAddress(m[2]!, address)) return m[1]!.replace(/^"(.*)"$/, '$1').trim();
  }
  return '';
}

// ---------------------------------------------------------------------------
// Header fields

/** A header field's value, encoded as nodemailer encodes it (encoded words, punycode, angle brackets); unfolded. */
function encoded(name: string, value: Parameters<typeof MimeNode.encodeHeaderValue>[1]): string {
  return MimeNode.encodeHeaderValue(name, value);
}

/** One header field, folded at 76 the way nodemailer folds (at whitespace, never leaving it at a line end). */
function fold(name: string, value: string): string {
  return foldLines(`${name}: ${value}`, 76);
}

/** The fields that describe the message (not its MIME structure). */
interface MessageFields {
  messageId: string;
  date: Date;
  from: Address;
  to: Address[];
  cc: Address[];
  /** Written only in drafts. */
  bcc: Address[];
  subject: string;
  inReplyTo: string | null;
  references: string[];
}

/** Name and encoded value of each message field, in the order they are written; no Subject field when it is empty. */
function messageFieldList(f: MessageFields, subject: string): [string, string][] {
  const out: [string, string][] = [
    ['Date', encoded('Date', f.date)],
    ['From', encoded('From', f.from)],
  ];
  if (f.to.length > 0) out.push(['To', encoded('To', f.to)]);
  if (f.cc.length > 0) out.push(['Cc', encoded('Cc', f.cc)]);
  if (f.bcc.length > 0) out.push(['Bcc', encoded('Bcc', f.bcc)]);
  out.push(['Message-ID', encoded('Message-ID', f.messageId)]);
  if (f.inReplyTo) out.push(['In-Reply-To', encoded('In-Reply-To', f.inReplyTo)]);
  if (f.references.length > 0) out.push(['References', encoded('References', f.references)]);
  if (subject !== '') out.push(['Subject', encoded('Subject', subject)]);
  return out;
}

/** The Autocrypt header (Autocrypt Level 1): `addr=...; keydata=` and the binary key in base64, folded. */
function autocryptField(address: string, key: Uint8Array): string {
  const b64 = Buffer.from(key).toString('base64');
  const lines = [`Autocrypt: addr=${address}; keydata=`];
  for (let i = 0; i < b64.length; i += 76) lines.push(` ${b64.slice(i, i + 76)}`);
  return lines.join(CRLF);
}

// ---------------------------------------------------------------------------
// The MIME entity

interface Entity {
  /** Header fields as written (folded), each without its final CRLF. */
  fields: { name: string; text: string }[];
  /** Everything after the blank line. */
  body: string;
}

function parseEntity(bytes: string): Entity {
  const end = bytes.indexOf(CRLF + CRLF);
  const head = end < 0 ? bytes : bytes.slice(0, end);
  const body = end < 0 ? '' : bytes.slice(end + 4);
  const fields: Entity['fields'] = [];
  for (const line of head.split(CRLF)) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1]!.text += CRLF + line;
    else fields.push({ name: line.slice(0, line.indexOf(':')).trim(), text: line });
  }
  return { fields, body };
}

/** Quoted-printable for mostly-Latin text, base64 when most of it is other scripts (shorter, and as safe). */
function textEncodingFor(text: string): 'quoted-printable' | 'base64' {
  let other = 0;
  for (const ch of text) if (ch.codePointAt(0)! > 0x7f) other++;
  return other * 3 > text.length ? 'base64' : 'quoted-printable';
}

/**
 * The MIME body built by MailComposer (text, HTML as multipart/alternative,
 * attachments as multipart/mixed): its Content-* header fields and its body,
 * 7-bit safe.
 */
async function buildBody(draft: Draft, extraAttachments: DraftAttachment[]): Promise<Entity> {
  const html = draft.html ? crlf(draft.html) : '';
  const attachments = [...draft.attachments, ...extraAttachments];
  // Attachments without any text still go in a multipart/mixed with a (blank) text part, as mail clients write it.
  const text = crlf(draft.text) || (attachments.length > 0 && !html ? CRLF : '');
  const composer = new MailComposer({
    ...(text ? { text: { content: text, contentTransferEncoding: textEncodingFor(text) } } : {}),
    ...(html ? { html: { content: html, contentTransferEncoding: textEncodingFor(html) } } : {}),
    attachments: attachments.map((a) => ({
      filename: oneLine(a.filename) || 'attachment',
      contentType: a.contentType,
      content: Buffer.from(a.content),
      // Even message/* and text/*: 7bit or 8bit content may be changed on the way, under a signature.
      contentTransferEncoding: 'base64',
    })),
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const node = composer.compile();
  // As a child of another node it gets no Date, Message-ID or MIME-Version of its own.
  new MimeNode('multipart/mixed').appendChild(node);
  const built = (await node.build()).toString('latin1');
  const entity = parseEntity(built);
  entity.fields = entity.fields.filter((f) => /^Content-/i.test(f.name));
  // RFC 3156, section 3: an MTA may write ">From " for a line that starts with "From ".
  entity.body = entity.body.replace(/(^|\r\n)From /g, '$1=46rom ');
  return entity;
}

/** Add parameters to the Content-Type field (kept as written, the new ones on a line of their own). */
function withContentTypeParams(entity: Entity, params: string): Entity {
  const fields = entity.fields.map((f) => (/^content-type$/i.test(f.name) ? { ...f, text: `${f.text};${CRLF} ${params}` } : f));
  if (!fields.some((f) => /^content-type$/i.test(f.name)))
    fields.unshift({ name: 'Content-Type', text: `Content-Type: text/plain; charset=us-ascii;${CRLF} ${params}` });
  return { ...entity, fields };
}

function serialize(fields: string[], body: string): string {
  return fields.join(CRLF) + CRLF + CRLF + body;
}

/**
 * What a signature covers and what passes through servers unchanged: ASCII,
 * CRLF line endings, lines of at most 998 octets (76 for encoded bodies), no
 * whitespace at the end of a line.
 */
function assertSevenBitSafe(entity: string, what: string): void {
  const fail = (why: string) => {
    throw new SealpostError('internal', `the ${what} is not 7-bit safe (${why})`);
  };
  if (/[^\x00-\x7f]/.test(entity)) fail('8-bit data');
  if (/\r(?!\n)|(?<!\r)\n/.test(entity)) fail('a bare CR or LF');
  if (/[\x00\x0b\x0c\x0e-\x1f\x7f]/.test(entity)) fail('a control character');
  for (const line of entity.split(CRLF)) {
    if (line.length > 998) fail('a line over 998 octets');
    if (/[ \t]$/.test(line)) fail('whitespace at the end of a line');
    if (line.startsWith('From ')) fail('a line starting with "From "');
  }
}

function boundaryFor(...contents: string[]): string {
  for (;;) {
    const b = `sp-${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}`;
    if (!contents.some((c) => c.includes(`--${b}`))) return b;
  }
}

// ---------------------------------------------------------------------------
// Composing

async function dearmoredMinimalKey(keyring: KeyringClient, fingerprint: string): Promise<Uint8Array> {
  const { armored } = await keyring.call('keys.export', { query: fingerprint, minimal: true });
  const { output } = await keyring.collect('crypto.dearmor', {}, Buffer.from(armored, 'utf8'));
  return output;
}

/**
 * One RFC 5322 message for the draft, as asked: signed (multipart/signed),
 * encrypted and signed (multipart/encrypted, one OpenPGP message that is
 * signed and encrypted to every recipient and the sender), encrypted only, or
 * plain. When encrypting, every recipient must have a usable key: otherwise
 * it throws `compose-no-key` naming each address without one, before any
 * OpenPGP operation runs.
 */
export async function composeMessage(keyring: KeyringClient, draft: Draft, opts: ComposeOptions): Promise<Buffer> {
  const now = opts.now ?? new Date();
  const from = cleanAddress(draft.from, 'the sender');
  const to = draft.to.map((a) => cleanAddress(a, 'the recipient'));
  const cc = draft.cc.map((a) => cleanAddress(a, 'the recipient'));
  const bcc = (draft.bcc ?? []).map((a) => cleanAddress(a, 'the recipient'));
  const isDraft = opts.draft === true;
  if (to.length + cc.length + bcc.length === 0 && !isDraft) throw new SealpostError('bad-input', 'the message has no recipient');
  const fields: MessageFields = {
    messageId: opts.messageId ? msgId(opts.messageId, 'the message id') : `<${randomUUID()}@${domainOf(from.address)}>`,
    date: now,
    from,
    to,
    cc,
    bcc: isDraft ? bcc : [],
    subject: oneLine(draft.subject),
    inReplyTo: draft.inReplyTo ? msgId(draft.inReplyTo, 'In-Reply-To') : null,
    references: (draft.references ?? [])
      .flatMap((r) => r.split(/\s+/))
      .filter(Boolean)
      .map((r) => msgId(r, 'References')),
  };

  const nowMs = now.getTime();
  const sender = await senderKey(keyring, from.address, nowMs);
  if (!sender && (opts.sign || opts.encrypt || opts.attachKey)) {
    throw new SealpostError('key-no-secret', `no usable secret key carries the sender address ${from.address}`, { address: from.address });
  }

  // Every recipient's key, before anything is made.
  const recipientRefs: string[] = [];
  if (opts.encrypt && isDraft) {
    if (!isUsableForEncryption(sender!, nowMs))
      throw new SealpostError('compose-no-key', `${from.address} (own ${whyUnusable(sender!, nowMs)})`, { addresses: [from.address] });
    recipientRefs.push(sender!.fingerprint);
  } else if (opts.encrypt) {
    const problems: { address: string; why: string }[] = [];
    const seen = new Set<string>();
    for (const r of [...to, ...cc, ...bcc]) {
      const lower = r.address.toLowerCase();
      if (seen.has(lower)) continue;
      seen.add(lower);
      const found = await recipientKey(keyring, r.address, nowMs);
      if (!('key' in found)) problems.push({ address: r.address, why: found.problem });
      else if (!recipientRefs.includes(found.key.fingerprint)) recipientRefs.push(found.key.fingerprint);
    }
    if (sender && !isUsableForEncryption(sender, nowMs)) problems.push({ address: from.address, why: `own ${whyUnusable(sender, nowMs)}` });
    if (problems.length > 0) {
      const detail = problems.map((p) => `${p.address} (${p.why})`).join('; ');
      throw new SealpostError('compose-no-key', detail, { addresses: problems.map((p) => p.address) });
    }
    if (!recipientRefs.includes(sender!.fingerprint)) recipientRefs.push(sender!.fingerprint);
  }

  const extra: DraftAttachment[] = [];
  if (opts.attachKey && sender) {
    const { armored } = await keyring.call('keys.export', { query: sender.fingerprint });
    extra.push({
      filename: `OpenPGP_0x${sender.keyId}.asc`,
      contentType: 'application/pgp-keys',
      content: Buffer.from(crlf(armored), 'utf8'),
    });
  }
  const autocrypt =
    sender && sender.canEncrypt && !isDraft
      ? autocryptField(asciiAddress(from.address), await dearmoredMinimalKey(keyring, sender.fingerprint))
      : null;
  const body = await buildBody({ ...draft, from, to, cc, bcc }, extra);

  const outerSubject = opts.encrypt ? OBSCURED_SUBJECT : fields.subject;
  const outerFields: MessageFields =
    opts.encrypt && isDraft ? { ...fields, to: [], cc: [], bcc: [], inReplyTo: null, references: [] } : fields;
  const outerMessageFields = messageFieldList(outerFields, outerSubject).map(([n, v]) => fold(n, v));
  const outerHead = (contentType: string[]): string[] => [
    ...outerMessageFields,
    'MIME-Version: 1.0',
    ...(autocrypt ? [autocrypt] : []),
    ...contentType,
  ];

  let message: string;
  if (!opts.sign && !opts.encrypt) {
    message = serialize(outerHead(body.fields.map((f) => f.text)), body.body);
  } else {
    // The protected headers travel inside (RFC 9788 and protected-headers="v1").
    const hp = opts.encrypt ? 'cipher' : 'clear';
    const inner = withContentTypeParams(body, `protected-headers="v1"; hp="${hp}"`);
    const innerFields = [...inner.fields.map((f) => f.text), ...messageFieldList(fields, fields.subject).map(([n, v]) => fold(n, v))];
    if (opts.encrypt) {
      // RFC 9788, section 2.2: what the outer header section says, so a reader can tell what was obscured.
      for (const [n, v] of messageFieldList(outerFields, outerSubject)) innerFields.push(fold('HP-Outer', `${n}: ${v}`));
    }
    const innerText = serialize(innerFields, inner.body.endsWith(CRLF) ? inner.body : inner.body + CRLF);
    assertSevenBitSafe(innerText, 'message body');
    const innerBytes = Buffer.from(innerText, 'latin1');

    if (!opts.encrypt) {
      const { output, result } = await keyring.collect(
        'crypto.sign',
        { mode: 'detached', signers: { refs: [sender!.fingerprint] }, keyPasswords: opts.keyPasswords, armor: true, literal: 'binary' },
        innerBytes,
      );
      const signature = crlf(Buffer.from(output).toString('latin1')).replace(/\r\n$/, '') + CRLF;
      const boundary = boundaryFor(innerText, signature);
      const micalg = /^pgp-[a-z0-9-]+$/.test(result.micalg) ? result.micalg : 'pgp-sha256';
      message = serialize(
        outerHead([
          `Content-Type: multipart/signed; micalg=${micalg};${CRLF} protocol="application/pgp-signature";${CRLF} boundary="${boundary}"`,
        ]),
        [
          `This is an OpenPGP/MIME signed message (RFC 4880 and 3156)${CRLF}`,
          `--${boundary}${CRLF}`,
          innerText,
          `${CRLF}--${boundary}${CRLF}`,
          `Content-Type: application/pgp-signature; name="signature.asc"${CRLF}`,
          `Content-Description: OpenPGP digital signature${CRLF}`,
          `Content-Disposition: attachment; filename="signature.asc"${CRLF}${CRLF}`,
          signature,
          `${CRLF}--${boundary}--${CRLF}`,
        ].join(''),
      );
    } else {
      const { output } = await keyring.collect(
        'crypto.encrypt',
        {
          recipients: { refs: recipientRefs },
          ...(opts.sign ? { signers: { refs: [sender!.fingerprint] }, encryptToSigners: true } : {}),
          keyPasswords: opts.keyPasswords,
          armor: true,
          literal: 'binary',
        },
        innerBytes,
      );
      const armored = crlf(Buffer.from(output).toString('latin1')).replace(/\r\n$/, '') + CRLF;
      const boundary = boundaryFor(armored);
      message = serialize(
        outerHead([`Content-Type: multipart/encrypted;${CRLF} protocol="application/pgp-encrypted";${CRLF} boundary="${boundary}"`]),
        [
          `This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)${CRLF}`,
          `--${boundary}${CRLF}`,
          `Content-Type: application/pgp-encrypted${CRLF}`,
          `Content-Description: PGP/MIME version identification${CRLF}${CRLF}`,
          `Version: 1${CRLF}`,
          `${CRLF}--${boundary}${CRLF}`,
          `Content-Type: application/octet-stream; name="encrypted.asc"${CRLF}`,
          `Content-Description: OpenPGP encrypted message${CRLF}`,
          `Content-Disposition: inline; filename="encrypted.asc"${CRLF}${CRLF}`,
          armored,
          `${CRLF}--${boundary}--${CRLF}`,
        ].join(''),
      );
    }
  }
  assertSevenBitSafe(message, 'message');
  return Buffer.from(message, 'latin1');
}
