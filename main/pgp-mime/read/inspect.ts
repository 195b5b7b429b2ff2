import { createHash } from 'node:crypto';
import { SealpostError } from '../../../app/errors.ts';
import type { InspectReport, Address } from '../../../app/inspect-report.ts';
import type { DecryptResult, Verification } from '../../../app/crypto.ts';
import type { KeyringCalls, KeyringClient } from '../../../app/keyring-client.ts';
import {
  parseMime,
  parseEntity,
  walk,
  decodeBody,
  decodeHeader,
  headerValue,
  filenameOf,
  isAttachment,
  partText,
  decodeCharset,
  type MimePart,
  DEFAULT_LIMITS,
} from './mime-parse.ts';
import { parseAddresses } from './addresses.ts';
import { sameAddress } from '../../../app/address.ts';
import { addressOfUserId } from '../../../app/user-ids.ts';
import { findInlineBlocks, isWholeBody, cleanArmor, cleanSignedBlock, splitCleartext } from './inline-pgp.ts';
import { bodyHtml, bodyText, htmlToText, isLegacyHeaderPart, HTML_LIMIT, TEXT_LIMIT } from './body-text.ts';
import { collectMessageKeys } from './message-keys.ts';

export interface InspectOptions {
  /** Passphrases to try on locked secret keys (the command line's --passphrase-file). */
  keyPasswords: string[];
  /** Upper bound for decrypted (decompressed) data. */
  maxDecryptedBytes?: number;
}

type Encryption = InspectReport['encryption'];
type Signature = InspectReport['signature'];
type PartEntry = InspectReport['parts'][number];
type Warning = InspectReport['warnings'][number];

/** What the root of the message turned out to be. */
interface RootAnalysis {
  encryption: Encryption;
  verifications: Verification[];
  /** The entity whose content the report shows: the decrypted or signed content, or the message itself. */
  content: MimePart | null;
  /** Text to show instead of `content` (inline PGP). */
  inlineText: string | null;
  contentProtected: boolean;
  /** Path prefix of `content`'s parts (decrypted entities are numbered below the encrypted part). */
  prefix: string;
}

const NO_ENCRYPTION: Encryption = { status: 'none', integrity: null, recipients: [], protectedHeaders: false };
/** Decrypted data beyond this is refused (too-large): room for a 64 MB attachment, bounded memory. */
const MAX_DECRYPTED = 128 * 1024 * 1024;

const isPgpSigned = (p: MimePart) =>
  p.contentType === 'multipart/signed' &&
  p.children.length >= 2 &&
  ((p.params.protocol ?? '').toLowerCase() === 'application/pgp-signature' || p.children[1]!.contentType === 'application/pgp-signature');
const isPgpEncrypted = (p: MimePart) =>
  p.contentType === 'multipart/encrypted' &&
  p.children.length >= 2 &&
  ((p.params.protocol ?? '').toLowerCase() === 'application/pgp-encrypted' || p.children[0]!.contentType === 'application/pgp-encrypted');

/** The signed bytes of RFC 3156, section 5: the entity as it stands, every line break CRLF. */
export function canonicalCrlf(bytes: Uint8Array): Buffer {
  const text = Buffer.from(bytes).toString('latin1').replace(/\r?\n/g, '\r\n');
  return Buffer.from(text, 'latin1');
}

/**
 * A PGP/MIME message mangled by MS Exchange (RFC 3156 structure flattened
 * into multipart/mixed: an empty text part, the pgp-encrypted control part
 * and the encrypted data) is the sender's multipart/encrypted: read it so.
 */
function exchangeRepair(part: MimePart): MimePart | null {
  if (part.contentType !== 'multipart/mixed' || part.children.length !== 3) return null;
  const [text, control, data] = part.children as [MimePart, MimePart, MimePart];
  if (text.contentType !== 'text/plain' || partText(text).trim() !== '') return null;
  if (control.contentType !== 'application/pgp-encrypted' || data.contentType !== 'application/octet-stream') return null;
  return {
    ...part,
    contentType: 'multipart/encrypted',
    params: { ...part.params, protocol: 'application/pgp-encrypted' },
    children: [control, data],
  };
}

export class MessageInspector {
  private readonly keyring: KeyringClient;
  private readonly opts: InspectOptions;
  private readonly warnings: Warning[] = [];
  private readonly parts: PartEntry[] = [];

  constructor(keyring: KeyringClient, opts: InspectOptions) {
    this.keyring = keyring;
    this.opts = opts;
  }

  private warn(code: string, message: string): void {
    if (!this.warnings.some((w) => w.code === code && w.message === message)) this.warnings.push({ code, message });
  }

  private async verifyDetached(signed: MimePart, signature: MimePart): Promise<Verification[]> {
    try {
      const { result } = await this.keyring.collect(
        'crypto.verify',
        { signature: decodeBody(signature), useStoredCerts: true },
        canonicalCrlf(signed.raw),
      );
      return result.verifications;
    } catch (e) {
      this.warn('bad-signature-data', e instanceof SealpostError ? e.message : 'the signature part is not an OpenPGP signature');
      return [{ status: 'invalid', keyId: '', signer: null, created: null, reason: 'unreadable signature' }];
    }
  }

  private async decrypt(data: Uint8Array): Promise<{ result: DecryptResult; plaintext: Buffer }> {
    const { result, output } = await this.keyring.collect(
      'crypto.decrypt',
      {
        useStoredKeys: true,
        useStoredCerts: true,
        keyPasswords: this.opts.keyPasswords,
        maxOutputBytes: this.opts.maxDecryptedBytes ?? MAX_DECRYPTED,
      },
      data,
    );
    return { result, plaintext: Buffer.from(output.buffer, output.byteOffset, output.byteLength) };
  }

  private encryptionOf(result: DecryptResult): Encryption {
    switch (result.status) {
      case 'decrypted':
        return { status: 'decrypted', integrity: result.integrity, recipients: result.recipients, protectedHeaders: false };
      case 'no-key':
        return { ...NO_ENCRYPTION, status: 'no-key', recipients: result.recipients };
      case 'needs-passphrase':
        this.warn('needs-passphrase', `a secret key for this message is locked (${result.keys.join(', ')}); give its passphrase`);
        return { ...NO_ENCRYPTION, status: 'no-key', recipients: result.recipients };
      case 'failed-integrity':
        this.warn(
          result.reason === 'no-integrity' ? 'no-integrity' : 'integrity-failed',
          result.reason === 'no-integrity'
            ? 'the encrypted data has no integrity protection; it was not shown'
            : 'the encrypted data was modified; it was not shown',
        );
        return { ...NO_ENCRYPTION, status: 'failed' };
      case 'too-large':
        this.warn('too-large', `the decrypted data exceeds ${result.limit} bytes; it was not shown`);
        return { ...NO_ENCRYPTION, status: 'failed' };
      case 'malformed':
        this.warn('malformed-encryption', `the encrypted data is malformed: ${result.detail}`);
        return { ...NO_ENCRYPTION, status: 'failed' };
    }
  }

  /** multipart/encrypted: decrypt, then read the inner entity (a signed one included). */
  private async analyzeEncrypted(part: MimePart): Promise<RootAnalysis> {
    const data = part.children[1]!;
    this.parts.push({ path: part.path || '1', contentType: part.contentType, encrypted: true, signed: false, status: 'not-decrypted' });
    const entry = this.parts[this.parts.length - 1]!;
    const { result, plaintext } = await this.decrypt(decodeBody(data));
    const encryption = this.encryptionOf(result);
    if (result.status !== 'decrypted')
      return { encryption, verifications: [], content: null, inlineText: null, contentProtected: true, prefix: '' };
    entry.status = 'decrypted';
    const prefix = data.path;
    const state = { parts: 0, limitsHit: [] as string[] };
    const inner = parseEntity(plaintext, '', 1, DEFAULT_LIMITS, state);
    for (const limit of state.limitsHit) this.warn('too-complex', `parts beyond a limit were not read: ${limit}`);
    if (isPgpSigned(inner)) {
      const verifications = await this.verifyDetached(inner.children[0]!, inner.children[1]!);
      return {
        encryption,
        verifications: [...result.verifications, ...verifications],
        content: inner.children[0]!,
        inlineText: null,
        contentProtected: true,
        prefix,
      };
    }
    // An inline block inside the encrypted entity (some clients sign inline, then encrypt with PGP/MIME).
    if (inner.contentType === 'text/plain') {
      const text = partText(inner);
      const blocks = findInlineBlocks(text);
      if (blocks.length === 1 && blocks[0]!.kind === 'signed' && isWholeBody(text, blocks[0]!)) {
        const signed = await this.verifyCleartext(decodeBody(inner), inner.params.charset);
        return {
          encryption,
          verifications: [...result.verifications, ...signed.verifications],
          content: inner,
          inlineText: signed.text,
          contentProtected: true,
          prefix,
        };
      }
    }
    return { encryption, verifications: result.verifications, content: inner, inlineText: null, contentProtected: true, prefix };
  }

  /**
   * A cleartext-signed block, verified over its bytes in the mail's own
   * charset (`bytes` holds the block as it came, `charset` names how to show it).
   */
  private async verifyCleartext(bytes: Uint8Array, charset: string | undefined): Promise<{ verifications: Verification[]; text: string }> {
    const split = splitCleartext(bytes);
    if (!split) {
      this.warn('bad-signature-data', 'the inline signature is malformed');
      return {
        verifications: [{ status: 'invalid', keyId: '', signer: null, created: null, reason: 'malformed inline signature' }],
        text: decodeCharset(bytes, charset),
      };
    }
    const text = decodeCharset(split.signed, charset).replace(/\r\n/g, '\n');
    try {
      const { result } = await this.keyring.collect('crypto.verify', { signature: split.signature, useStoredCerts: true }, split.signed);
      return { verifications: result.verifications, text };
    } catch {
      this.warn('bad-signature-data', 'the inline signature is malformed');
      return { verifications: [{ status: 'invalid', keyId: '', signer: null, created: null, reason: 'malformed inline signature' }], text };
    }
  }

  /** A text body that is exactly one inline PGP block is protected as a whole; anything around it makes it partial. */
  private async analyzeInline(part: MimePart): Promise<RootAnalysis | null> {
    const text = part.contentType === 'text/html' ? htmlToText(partText(part)).replace(/\u00a0/g, ' ') : partText(part);
    const blocks = findInlineBlocks(text);
    if (blocks.length !== 1 || !isWholeBody(text, blocks[0]!)) return null;
    const block = blocks[0]!;
    if (block.kind === 'signed') {
      // A plain-text body is verified over its own bytes; an HTML one only as the text it shows.
      const source = part.contentType === 'text/plain' ? decodeBody(part) : Buffer.from(cleanSignedBlock(block.text), 'utf8');
      const { verifications, text: signedText } = await this.verifyCleartext(
        source,
        part.contentType === 'text/plain' ? part.params.charset : 'utf-8',
      );
      this.parts.push({ path: part.path || '1', contentType: part.contentType, encrypted: false, signed: true, status: 'plain' });
      return { encryption: NO_ENCRYPTION, verifications, content: null, inlineText: signedText, contentProtected: true, prefix: '' };
    }
    this.parts.push({ path: part.path || '1', contentType: part.contentType, encrypted: true, signed: false, status: 'not-decrypted' });
    const entry = this.parts[this.parts.length - 1]!;
    const { result, plaintext } = await this.decrypt(Buffer.from(cleanArmor(block.text), 'utf8'));
    const encryption = this.encryptionOf(result);
    if (result.status !== 'decrypted')
      return { encryption, verifications: [], content: null, inlineText: null, contentProtected: true, prefix: '' };
    entry.status = 'decrypted';
    let shown = decodeUtf8OrLatin1(plaintext);
    let verifications = result.verifications;
    const innerBlocks = findInlineBlocks(shown);
    if (innerBlocks.length === 1 && innerBlocks[0]!.kind === 'signed' && isWholeBody(shown, innerBlocks[0]!)) {
      const signed = await this.verifyCleartext(plaintext, 'utf-8');
      verifications = [...verifications, ...signed.verifications];
      shown = signed.text;
    }
    return { encryption, verifications, content: null, inlineText: shown, contentProtected: true, prefix: '' };
  }

  /** What the root is: signed, encrypted, inline-protected, or none of these. */
  async analyzeRoot(part: MimePart): Promise<RootAnalysis> {
    const repaired = exchangeRepair(part);
    if (repaired) {
      this.warn(
        'repaired-exchange',
        'the message was rearranged by a mail server (MS Exchange); it was read as the encrypted message it was sent as',
      );
      return this.analyzeEncrypted(repaired);
    }
    if (isPgpEncrypted(part)) return this.analyzeEncrypted(part);
    if (isPgpSigned(part) && part.children.length > 2) {
      // RFC 1847 has exactly two parts: anything more is content the signature does not cover.
      const verifications = await this.verifyDetached(part.children[0]!, part.children[1]!);
      this.parts.push({
        path: part.children[0]!.path,
        contentType: part.children[0]!.contentType,
        encrypted: false,
        signed: true,
        status: verifications.some((v) => v.status === 'valid') ? 'verified' : 'bad-signature',
      });
      for (const extra of part.children.slice(2))
        this.parts.push({ path: extra.path, contentType: extra.contentType, encrypted: false, signed: false, status: 'plain' });
      this.warn('partially-signed', 'the signed message carries more parts than the signature covers');
      return { encryption: NO_ENCRYPTION, verifications: [], content: part, inlineText: null, contentProtected: false, prefix: '' };
    }
    if (isPgpSigned(part)) {
      const signed = part.children[0]!;
      const verifications = await this.verifyDetached(signed, part.children[1]!);
      // A signature around an encrypted message (a signing gateway) is the root too: decrypt, report the outer signature.
      if (isPgpEncrypted(signed)) {
        const inner = await this.analyzeEncrypted(signed);
        return { ...inner, verifications };
      }
      this.parts.push({
        path: signed.path,
        contentType: signed.contentType,
        encrypted: false,
        signed: true,
        status: verifications.some((v) => v.status === 'valid') ? 'verified' : 'bad-signature',
      });
      return { encryption: NO_ENCRYPTION, verifications, content: signed, inlineText: null, contentProtected: true, prefix: '' };
    }
    if (part.contentType === 'multipart/signed' && part.children.length >= 1) {
      // Another signature scheme (S/MIME) wrapping the content: not verified here; what it wraps is read on.
      this.warn('unsupported-signature', `a ${part.params.protocol ?? 'non-OpenPGP'} signature was not checked`);
      return this.analyzeRoot(part.children[0]!);
    }
    if (part.contentType === 'multipart/mixed' && part.children.length === 1 && !isAttachment(part.children[0]!)) {
      return this.analyzeRoot(part.children[0]!);
    }
    if (part.contentType === 'text/plain' || part.contentType === 'text/html') {
      const inline = await this.analyzeInline(part);
      if (inline) return inline;
    }
    return { encryption: NO_ENCRYPTION, verifications: [], content: part, inlineText: null, contentProtected: false, prefix: '' };
  }

  /** Protected things below the root: listed, warned about, never decrypted (reply oracles, EFAIL). */
  async scanPartial(content: MimePart, prefix: string, contentProtected: boolean): Promise<void> {
    const seen = new Set<MimePart>();
    for (const part of walk(content)) {
      // The content root itself was analysed already, but for inline blocks in an unprotected text body.
      if (seen.has(part) || (part === content && (contentProtected || part.children.length > 0))) continue;
      const path = prefix ? `${prefix}.${part.path}` : part.path;
      if (
        isPgpEncrypted(part) ||
        part.contentType === 'application/pgp-encrypted' ||
        (part.children.length === 0 && isEncryptedOpenPgp(decodeBody(part)))
      ) {
        for (const inner of walk(part)) seen.add(inner);
        this.parts.push({ path, contentType: part.contentType, encrypted: true, signed: false, status: 'not-decrypted' });
        this.warn('partially-encrypted', 'only a part of this message is encrypted; it was not decrypted, and the rest is not protected');
        continue;
      }
      if (isPgpSigned(part)) {
        for (const inner of walk(part)) seen.add(inner);
        const verifications = await this.verifyDetached(part.children[0]!, part.children[1]!);
        const good = verifications.some((v) => v.status === 'valid');
        this.parts.push({
          path,
          contentType: part.contentType,
          encrypted: false,
          signed: true,
          status: good ? 'verified' : 'bad-signature',
        });
        this.warn('partially-signed', 'only a part of this message is signed; the signature does not cover the whole message');
        continue;
      }
      if ((part.contentType === 'text/plain' || part.contentType === 'text/html') && !isAttachment(part)) {
        const text = part.contentType === 'text/html' ? htmlToText(partText(part)) : partText(part);
        for (const block of findInlineBlocks(text)) {
          if (block.kind === 'encrypted') {
            this.parts.push({ path, contentType: part.contentType, encrypted: true, signed: false, status: 'not-decrypted' });
            this.warn(
              'partially-encrypted',
              'only a part of this message is encrypted; it was not decrypted, and the rest is not protected',
            );
          } else {
            this.parts.push({ path, contentType: part.contentType, encrypted: false, signed: true, status: 'plain' });
            this.warn('partially-signed', 'only a part of this message is signed; the signature does not cover the whole message');
          }
        }
      }
    }
  }

  report(): { warnings: Warning[]; parts: PartEntry[] } {
    return { warnings: this.warnings, parts: this.parts };
  }
}

/**
 * OpenPGP encrypted data, armored or binary: a message starts with a
 * session key packet (PKESK, tag 1; SKESK, tag 3) or encrypted data (SED 9,
 * SEIPD 18, AEAD 20) (RFC 9580, section 5).
 */
function isEncryptedOpenPgp(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  if (/-----BEGIN PGP MESSAGE-----/.test(Buffer.from(bytes.subarray(0, 4096)).toString('latin1'))) return true;
  const first = bytes[0]!;
  if ((first & 0x80) === 0) return false;
  const tag = first & 0x40 ? first & 0x3f : (first >> 2) & 0x0f;
  return [1, 3, 9, 18, 20].includes(tag);
}

function decodeUtf8OrLatin1(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

const RANK: Record<Verification['status'], number> = { valid: 0, 'expired-key': 1, 'revoked-key': 2, invalid: 3, 'unknown-key': 4 };

/**
 * The one signature the report names: a good one by the sender before any
 * other. The signer "matches From" only when one of its user ids carries
 * every sender address the message shows: each From header sent in the
 * clear and the protected From, so that a second From header or a differing
 * inner From cannot borrow someone else's signature.
 */
function chooseSignature(verifications: Verification[], senders: Address[]): Signature {
  if (verifications.length === 0) return { status: 'none', signer: null, signerMatchesFrom: false, created: null };
  const matches = (v: Verification) => {
    const signer = 'signer' in v ? v.signer : null;
    if (!signer || senders.length === 0) return false;
    const addresses = signer.userIds.map(addressOfUserId).filter((a): a is string => a !== null);
    return senders.every((s) => addresses.some((a) => sameAddress(a, s.address)));
  };
  const best = [...verifications].sort((a, b) => RANK[a.status] - RANK[b.status] || Number(matches(b)) - Number(matches(a)))[0]!;
  const signer = 'signer' in best && best.signer ? { fingerprint: best.signer.fingerprint, userIds: best.signer.userIds } : null;
  return { status: best.status, signer, signerMatchesFrom: matches(best), created: best.created };
}

function firstAddress(value: string | undefined): Address | null {
  return parseAddresses(value)[0] ?? null;
}

function isoDate(value: string | undefined): string | null {
  if (!value) return null;
  const t = Date.parse(value.replace(/\s+\([^)]*\)\s*$/, ''));
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/**
 * Read one message as it lies on the server and say, truthfully, what it
 * is: decrypted and verified with the profile's keys, following the rules of
 * the InspectReport (top-level statuses speak of the whole message only).
 */
export async function inspectMessage(raw: Uint8Array, keyring: KeyringClient, opts: InspectOptions): Promise<InspectReport> {
  return (await examineMessage(raw, keyring, opts)).report;
}

/** Key material a message carries, as it was handed to the keyring's `keys.inspect`, with the keys it holds. */
export interface MessageKeyMaterial {
  data: Uint8Array;
  /** The source an import gives it: attached keys, or Autocrypt (the sender's header and gossip alike). */
  source: 'attachment' | 'autocrypt';
  fingerprints: string[];
}

/** What the reader needs beside the report, from the same reading of the message. */
export interface ExaminedMessage {
  report: InspectReport;
  /**
   * The HTML body of exactly the content the report speaks of (the decrypted
   * or signed entity, or the message when it is neither), unsanitized; null
   * when that content has no HTML or is inline PGP text.
   */
  html: string | null;
  /** The parts behind `report.attachments`, in the same order (inside the decrypted entity when encrypted). */
  attachmentParts: MimePart[];
  /** The material behind `report.keys`. */
  keyMaterial: MessageKeyMaterial[];
}

/** The keyring as `collectMessageKeys` sees it, keeping each `keys.inspect` input and what it held. */
function recordingKeyring(keyring: KeyringCalls, material: MessageKeyMaterial[]): KeyringCalls {
  const call: KeyringCalls['call'] = async (method, params) => {
    const result = await keyring.call(method, params);
    if (method === 'keys.inspect') {
      const p = params as { data: Uint8Array; source: string };
      const keys = (result as { keys: { fingerprint: string }[] }).keys;
      material.push({
        data: p.data,
        source: p.source === 'attachment' ? 'attachment' : 'autocrypt',
        fingerprints: keys.map((k) => k.fingerprint),
      });
    }
    return result;
  };
  return { call };
}

/** `inspectMessage`, with the HTML body, the attachments' parts and the keys' material of the same reading. */
export async function examineMessage(raw: Uint8Array, keyring: KeyringClient, opts: InspectOptions): Promise<ExaminedMessage> {
  const parsed = parseMime(raw);
  const root = parsed.root;
  if (
    root.headers.length === 0 ||
    !root.headers.some((h) => ['from', 'to', 'subject', 'date', 'content-type', 'message-id', 'received'].includes(h.key))
  ) {
    throw new SealpostError('bad-input', 'not an RFC 5322 message (no header fields)');
  }
  const inspector = new MessageInspector(keyring, opts);
  const analysis = await inspector.analyzeRoot(root);
  const { warnings, parts } = inspector.report();
  for (const limit of parsed.limitsHit) warnings.push({ code: 'too-complex', message: `parts beyond a limit were not read: ${limit}` });

  // Header protection (RFC 9788; and the older protected-headers="v1"): the inner entity's header fields.
  const inner = analysis.content && analysis.contentProtected ? analysis.content : null;
  const innerRoot = inner && analysis.encryption.status === 'decrypted' ? findProtectedHeaderEntity(inner) : inner;
  // A decrypted entity's header fields are protected as they are; a signed-only one only when it says so.
  const declared = Boolean(innerRoot && (innerRoot.params['protected-headers'] || innerRoot.params.hp));
  const hasProtected = Boolean(
    innerRoot && (declared || (analysis.encryption.status === 'decrypted' && headerValue(innerRoot, 'subject') !== undefined)),
  );
  const outerFrom = firstAddress(headerValue(root, 'from'));
  const innerFrom = hasProtected && innerRoot ? firstAddress(headerValue(innerRoot, 'from')) : null;
  if (innerFrom && outerFrom && !sameAddress(innerFrom.address, outerFrom.address)) {
    warnings.push({
      code: 'from-mismatch',
      message: `the protected From (${innerFrom.address}) differs from the From sent in the clear (${outerFrom.address})`,
    });
  }
  const from = innerFrom ?? outerFrom;
  const outerSubject = decodeHeader(headerValue(root, 'subject'));
  const innerSubject = hasProtected && innerRoot ? headerValue(innerRoot, 'subject') : undefined;

  const encryption: Encryption = {
    ...analysis.encryption,
    protectedHeaders: Boolean(analysis.encryption.status === 'decrypted' && innerSubject !== undefined),
  };
  const outerFroms = root.headers.filter((h) => h.key === 'from').flatMap((h) => parseAddresses(h.value));
  if (root.headers.filter((h) => h.key === 'from').length > 1)
    warnings.push({ code: 'multiple-from', message: 'the message has more than one From header field' });
  const signature = chooseSignature(analysis.verifications, [...outerFroms, ...(innerFrom ? [innerFrom] : [])]);
  if (signature.status === 'valid' && !signature.signerMatchesFrom) {
    warnings.push({
      code: 'signer-mismatch',
      message: `the message is signed by ${signature.signer?.userIds[0] ?? signature.signer?.fingerprint}, who is not the sender ${from?.address ?? ''}`,
    });
  }

  // Protected things below the content root: listed and warned about, never decrypted.
  if (analysis.content) await inspector.scanPartial(analysis.content, analysis.prefix, analysis.contentProtected);

  let text = analysis.inlineText ?? (analysis.content ? bodyText(analysis.content) : '');
  if (text.length > TEXT_LIMIT) {
    text = text.slice(0, TEXT_LIMIT);
    warnings.push({ code: 'text-truncated', message: `the text is longer than ${TEXT_LIMIT} characters; the rest is not shown` });
  }
  // The same content as the text, and only it: HTML outside the decrypted or signed entity never reaches the reader's frame.
  let html = analysis.inlineText === null && analysis.content ? bodyHtml(analysis.content) : null;
  if (html !== null && html.length > HTML_LIMIT) {
    html = html.slice(0, HTML_LIMIT);
    warnings.push({ code: 'html-truncated', message: `the HTML body is longer than ${HTML_LIMIT} characters; the rest is not shown` });
  }
  const attachmentParts = analysis.content ? attachmentPartsOf(analysis.content) : [];
  const attachments = attachmentParts.map((part) => attachmentEntry(part, analysis.contentProtected));
  const keyMaterial: MessageKeyMaterial[] = [];
  const keys = await collectMessageKeys(
    recordingKeyring(keyring, keyMaterial),
    { root, content: analysis.content, contentProtected: analysis.contentProtected, from: outerFrom },
    (w) => warnings.push(w),
  );
  if (parts.length === 0) {
    for (const part of walk(analysis.content ?? root)) {
      if (part.children.length === 0)
        parts.push({ path: part.path, contentType: part.contentType, encrypted: false, signed: false, status: 'plain' });
    }
  }
  const report: InspectReport = {
    from,
    to: parseAddresses(headerValue(hasProtected && innerRoot && headerValue(innerRoot, 'to') ? innerRoot : root, 'to')),
    cc: parseAddresses(headerValue(hasProtected && innerRoot && headerValue(innerRoot, 'cc') ? innerRoot : root, 'cc')),
    date: isoDate(headerValue(root, 'date')),
    messageId: headerValue(root, 'message-id')?.trim() ?? null,
    subject: innerSubject !== undefined ? decodeHeader(innerSubject) : outerSubject,
    outerSubject,
    encryption,
    signature,
    parts,
    text,
    attachments,
    keys,
    warnings,
  };
  return { report, html, attachmentParts, keyMaterial };
}

/** The entity that carries protected header fields: the inner root, or (legacy) its text/rfc822-headers part. */
function findProtectedHeaderEntity(inner: MimePart): MimePart {
  if (headerValue(inner, 'subject') !== undefined) return inner;
  const legacy = inner.children.find(isLegacyHeaderPart);
  if (legacy) {
    const headers = partText(legacy);
    const parsed = parseEntity(Buffer.from(`${headers.trim()}\r\n\r\n`, 'utf8'), legacy.path, 0);
    return { ...parsed, params: { ...parsed.params, 'protected-headers': 'v1' } };
  }
  return inner;
}

/** The attachments of the content, in the order the report lists them. */
function attachmentPartsOf(content: MimePart): MimePart[] {
  const out: MimePart[] = [];
  for (const part of walk(content)) {
    if (part.children.length > 0 || !isAttachment(part)) continue;
    if (/^application\/pgp-(signature|encrypted)$/.test(part.contentType)) continue;
    out.push(part);
  }
  return out;
}

function attachmentEntry(part: MimePart, isProtected: boolean): InspectReport['attachments'][number] {
  const data = decodeBody(part);
  return {
    filename: filenameOf(part) ?? 'attachment',
    contentType: part.contentType,
    size: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    protected: isProtected,
  };
}
