/**
 * Drafts as they are stored and put on the server: the composed message,
 * unsigned (a signature would need the passphrase on every autosave).
 *
 * The draft of a message that will be sent encrypted is itself encrypted,
 * to the sender's own key only: the recipients may still change, and a
 * draft is for the sender alone. It is PGP/MIME (RFC 3156) with the header
 * fields protected inside (RFC 9788, hp="cipher", and protected-headers="v1"
 * as Thunderbird reads it). Outside stand only Date, From, Message-ID and
 * the obscured Subject: a draft goes nowhere, so no outer field needs to say
 * whom it is for or what it answers.
 *
 * Bcc is kept in a draft's header section (inside, when encrypted), so that
 * the composer gets it back; it is never part of a sent message.
 *
 * The MIME body (text, HTML, attachments, 7-bit safe) is composeMessage's,
 * unsigned and unencrypted; only the encrypted wrapping is done here.
 */
import type { DatabaseSync } from 'node:sqlite';
import MimeNode from 'nodemailer/lib/mime-node/index.js';
import { foldLines } from 'nodemailer/lib/mime-funcs/index.js';
import { randomBytes } from 'node:crypto';
import { SealpostError } from '../../app/errors.ts';
import type { KeyringClient } from '../../keyring/client.ts';
import { composeMessage, senderKey, OBSCURED_SUBJECT, type Address, type Draft, type DraftAttachment } from './compose.ts';
import { getDraft, saveDraft, type DraftItem } from '../store/drafts.ts';
import { MessageInspector } from '../security/inspect.ts';
import { parseAddresses } from '../security/addresses.ts';
import { decodeBody, decodeHeader, filenameOf, headerValue, isAttachment, parseMime, partText, walk, type MimePart } from '../mime/parse.ts';

const CRLF = '\r\n';

export interface SaveDraftOptions {
  /** The message will be sent encrypted: the draft is stored encrypted to the sender's own key. */
  encrypt: boolean;
  /** Saves a new revision of this draft; a new draft when absent. */
  id?: number;
  /** Passed to the keyring's encryption; drafts are not signed, so no passphrase is needed to save one. */
  keyPasswords?: string[];
}

export interface LoadedDraft {
  id: number;
  revision: number;
  /** Stored encrypted: the message is meant to be sent encrypted. */
  encrypted: boolean;
  draft: Draft;
}

// ---------------------------------------------------------------------------
// Header sections of the composed message

interface Field {
  /** Lower-cased name. */
  key: string;
  /** The field as written (folded), without its final CRLF. */
  text: string;
}

function splitMessage(bytes: Buffer): { fields: Field[]; body: string } {
  const text = bytes.toString('latin1');
  const end = text.indexOf(CRLF + CRLF);
  if (end < 0) throw new SealpostError('internal', 'the composed draft has no header section');
  const fields: Field[] = [];
  for (const line of text.slice(0, end).split(CRLF)) {
    if (/^[ \t]/.test(line) && fields.length > 0) fields[fields.length - 1]!.text += CRLF + line;
    else fields.push({ key: line.slice(0, line.indexOf(':')).trim().toLowerCase(), text: line });
  }
  return { fields, body: text.slice(end + 4) };
}

/** The field's value, unfolded (RFC 5322, section 2.2.3), as encoded. */
function unfoldedValue(field: Field): string {
  return field.text.slice(field.text.indexOf(':') + 1).replace(/\r\n(?=[ \t])/g, '').trim();
}

/** One header field, folded at 76 as composeMessage folds. */
function fold(name: string, value: string): string {
  return foldLines(`${name}: ${value}`, 76);
}

function bccField(bcc: Address[]): Field {
  // As composeMessage cleans a display name: no control characters, which would end the field.
  const list = bcc.map((a) => ({ name: String(a.name ?? '').replace(/[\x00-\x1f\x7f]+/g, ' ').replace(/\s+/g, ' ').trim(), address: String(a.address).trim() }));
  return { key: 'bcc', text: fold('Bcc', MimeNode.encodeHeaderValue('Bcc', list)) };
}

function serialize(fields: string[], body: string): Buffer {
  return Buffer.from(fields.join(CRLF) + CRLF + CRLF + body, 'latin1');
}

function boundaryFor(content: string): string {
  for (;;) {
    const b = `sp-${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}`;
    if (!content.includes(`--${b}`)) return b;
  }
}

// ---------------------------------------------------------------------------
// Building a draft

/**
 * The draft's message as composeMessage writes it unsigned and in the clear,
 * with Bcc in its header section. composeMessage refuses a message without
 * recipients; a draft may have none yet, so the sender stands in as To and
 * that field is taken out again.
 */
async function composePlainDraft(keyring: KeyringClient, draft: Draft): Promise<{ fields: Field[]; body: string }> {
  const bcc = draft.bcc ?? [];
  const noRecipient = draft.to.length + draft.cc.length + bcc.length === 0;
  const composed = await composeMessage(keyring, noRecipient ? { ...draft, to: [draft.from] } : draft, {
    encrypt: false,
    sign: false,
    attachKey: false,
    keyPasswords: [],
  });
  const { fields, body } = splitMessage(composed);
  const kept = noRecipient ? fields.filter((f) => f.key !== 'to') : fields;
  if (bcc.length > 0) {
    const after = Math.max(...['from', 'to', 'cc'].map((k) => kept.findLastIndex((f) => f.key === k)));
    kept.splice(after + 1, 0, bccField(bcc));
  }
  return { fields: kept, body };
}

/**
 * The PGP/MIME encrypted form of a draft, encrypted to the sender's key only,
 * with every header field protected inside (RFC 9788, section 2): the same
 * wrapping composeMessage writes for an encrypted message, but with the
 * sender as the only recipient while the inner To and Cc stay the real ones,
 * which composeMessage's options cannot express.
 */
async function encryptDraftToSender(keyring: KeyringClient, from: Address, plain: { fields: Field[]; body: string }, keyPasswords: string[]): Promise<Buffer> {
  const sender = await senderKey(keyring, from.address.trim());
  if (!sender) throw new SealpostError('key-no-secret', `no usable secret key carries the sender address ${from.address.trim()}`);
  if (!sender.canEncrypt) throw new SealpostError('compose-no-key', `${from.address.trim()} (own key ${sender.fingerprint} cannot encrypt)`);

  // Outside: what identifies the draft, and the obscured Subject (RFC 9788, section 2.1).
  const outer: Field[] = plain.fields.filter((f) => f.key === 'date' || f.key === 'from' || f.key === 'message-id');
  outer.push({ key: 'subject', text: fold('Subject', MimeNode.encodeHeaderValue('Subject', OBSCURED_SUBJECT)) });

  // Inside: the MIME fields with the header-protection parameters, every message field, and
  // HP-Outer recording the outer fields (RFC 9788, section 2.2). MIME-Version and Autocrypt
  // belong to the outer message only.
  const content = plain.fields
    .filter((f) => f.key.startsWith('content-'))
    .map((f) => (f.key === 'content-type' ? `${f.text};${CRLF} protected-headers="v1"; hp="cipher"` : f.text));
  const message = plain.fields.filter((f) => !f.key.startsWith('content-') && f.key !== 'mime-version' && f.key !== 'autocrypt').map((f) => f.text);
  const hpOuter = outer.map((f) => fold('HP-Outer', `${f.text.slice(0, f.text.indexOf(':'))}: ${unfoldedValue(f)}`));
  const innerBody = plain.body.endsWith(CRLF) ? plain.body : plain.body + CRLF;
  const inner = serialize([...content, ...message, ...hpOuter], innerBody);

  const { output } = await keyring.collect(
    'crypto.encrypt',
    { recipients: { refs: [sender.fingerprint] }, keyPasswords, armor: true, literal: 'binary' },
    inner,
  );
  const armored = Buffer.from(output).toString('latin1').replace(/\r\n|\r|\n/g, CRLF).replace(/\r\n$/, '') + CRLF;
  const boundary = boundaryFor(armored);
  return serialize(
    [...outer.map((f) => f.text), 'MIME-Version: 1.0', `Content-Type: multipart/encrypted;${CRLF} protocol="application/pgp-encrypted";${CRLF} boundary="${boundary}"`],
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

/** The RFC 5322 bytes of a draft: plain, or encrypted to the sender when the message will be encrypted. */
export async function composeDraft(keyring: KeyringClient, draft: Draft, opts: { encrypt: boolean; keyPasswords?: string[] }): Promise<Buffer> {
  const plain = await composePlainDraft(keyring, draft);
  if (!opts.encrypt) return serialize(plain.fields.map((f) => f.text), plain.body);
  return encryptDraftToSender(keyring, draft.from, plain, opts.keyPasswords ?? []);
}

/** Composes the draft and stores it: a new draft, or a new revision of `opts.id`. */
export async function saveComposedDraft(db: DatabaseSync, keyring: KeyringClient, accountId: string, draft: Draft, opts: SaveDraftOptions): Promise<DraftItem> {
  const raw = await composeDraft(keyring, draft, opts);
  return saveDraft(db, { accountId, raw, encrypted: opts.encrypt, ...(opts.id !== undefined ? { id: opts.id } : {}) });
}

// ---------------------------------------------------------------------------
// Reading a draft back

function decryptionError(status: string, warnings: { code: string }[]): SealpostError {
  const has = (code: string) => warnings.some((w) => w.code === code);
  if (has('needs-passphrase')) return new SealpostError('key-passphrase-required', 'the draft is encrypted to a locked key; give its passphrase');
  if (status === 'no-key') return new SealpostError('crypto-no-key', 'no secret key here can decrypt the draft');
  if (has('no-integrity')) return new SealpostError('crypto-no-integrity', 'the encrypted draft has no integrity protection');
  if (has('integrity-failed')) return new SealpostError('crypto-integrity-failed', 'the encrypted draft was modified');
  if (has('too-large')) return new SealpostError('crypto-too-large', 'the decrypted draft exceeds the size limit');
  return new SealpostError('crypto-malformed', 'the encrypted draft cannot be read');
}

const lf = (text: string): string => text.replace(/\r\n/g, '\n');

/** Text, HTML and attachments of the entity, in the shapes composeMessage's buildBody writes. */
function bodyOf(content: MimePart): Pick<Draft, 'text' | 'html' | 'attachments'> {
  let text: string | null = null;
  let html: string | null = null;
  const attachments: DraftAttachment[] = [];
  for (const part of walk(content)) {
    if (part.children.length > 0 || part.contentType.startsWith('multipart/')) continue;
    if (isAttachment(part)) {
      attachments.push({ filename: filenameOf(part) ?? 'attachment', contentType: part.contentType, content: new Uint8Array(decodeBody(part)) });
    } else if (part.contentType === 'text/plain' && text === null) {
      text = lf(partText(part));
    } else if (part.contentType === 'text/html' && html === null) {
      html = lf(partText(part));
    }
  }
  // With attachments and no text, composeMessage writes a blank text part (as mail clients do).
  if (text === '\n' && html === null && attachments.length > 0) text = '';
  return { text: text ?? '', ...(html !== null ? { html } : {}), attachments };
}

/** The draft's fields from an entity that carries both the message's header fields and its body. */
function draftFromEntity(entity: MimePart): Draft {
  const from = parseAddresses(headerValue(entity, 'from'))[0] ?? { name: '', address: '' };
  const bcc = parseAddresses(headerValue(entity, 'bcc'));
  const inReplyTo = headerValue(entity, 'in-reply-to')?.trim();
  const references = (headerValue(entity, 'references') ?? '').split(/\s+/).filter(Boolean);
  return {
    from,
    to: parseAddresses(headerValue(entity, 'to')),
    cc: parseAddresses(headerValue(entity, 'cc')),
    ...(bcc.length > 0 ? { bcc } : {}),
    subject: decodeHeader(headerValue(entity, 'subject')),
    ...bodyOf(entity),
    ...(inReplyTo ? { inReplyTo } : {}),
    ...(references.length > 0 ? { references } : {}),
  };
}

/**
 * A stored draft as the composer's fields, or null when there is no such
 * draft. An encrypted draft is decrypted by the keyring (with these
 * passphrases, or a key unlocked in its session) and read from its inner,
 * protected entity. Line breaks come back as "\n".
 */
export async function loadDraft(db: DatabaseSync, keyring: KeyringClient, id: number, opts: { keyPasswords?: string[] } = {}): Promise<LoadedDraft | null> {
  const stored = getDraft(db, id);
  if (!stored) return null;
  const { root, limitsHit } = parseMime(stored.raw);
  if (limitsHit.length > 0) throw new SealpostError('bad-input', `the draft is too complex to read (${limitsHit[0]})`);
  let entity: MimePart = root;
  if (stored.encrypted) {
    const inspector = new MessageInspector(keyring, { keyPasswords: opts.keyPasswords ?? [] });
    const analysis = await inspector.analyzeRoot(root);
    if (analysis.encryption.status === 'none') throw new SealpostError('internal', `draft ${id} is recorded as encrypted but is not`);
    if (analysis.encryption.status !== 'decrypted' || !analysis.content) throw decryptionError(analysis.encryption.status, inspector.report().warnings);
    entity = analysis.content;
  }
  return { id: stored.id, revision: stored.revision, encrypted: stored.encrypted, draft: draftFromEntity(entity) };
}
