/**
 * The walk over a message: what its root is (RFC 3156 multipart/encrypted
 * or multipart/signed, inline PGP, an Exchange-flattened one, or plain),
 * the decrypt step and the verify step asked of the keyring, and which parts
 * are covered by what. Only the root decides the top-level statuses; what
 * lies below it is listed and warned about (`scanPartial`), never decrypted.
 */
import { SealpostError } from '../../../app/errors.ts';
import type { InspectReport } from '../../../app/inspect-report.ts';
import type { DecryptResult, Verification } from '../../../app/crypto.ts';
import type { KeyringClient } from '../../../app/node/keyring-client.ts';
import { walk, parseEntity, decodeBody, isAttachment, partText, decodeCharset, type MimePart, DEFAULT_LIMITS } from './mime-parse.ts';
import { htmlToText } from './body-text.ts';
import { findInlineBlocks, isWholeBody, cleanArmor, cleanSignedBlock, splitCleartext } from './inline-pgp.ts';
import { canonicalCrlf, exchangeRepair, isEncryptedOpenPgp, isPgpEncrypted, isPgpSigned } from './pgp-structure.ts';

export interface InspectOptions {
  /** Passphrases to try on locked secret keys (the command line's --passphrase-file). */
  keyPasswords: string[];
  /** Upper bound for decrypted (decompressed) data. */
  maxDecryptedBytes?: number;
}

export type Encryption = InspectReport['encryption'];
type PartEntry = InspectReport['parts'][number];
type Warning = InspectReport['warnings'][number];

/** What the root of the message turned out to be. */
export interface RootAnalysis {
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

export const NO_ENCRYPTION: Encryption = { status: 'none', integrity: null, recipients: [], protectedHeaders: false, lockedKeys: [] };
/** Decrypted data beyond this is refused (too-large): room for a 64 MB attachment, bounded memory. */
const MAX_DECRYPTED = 128 * 1024 * 1024;

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
        return { ...NO_ENCRYPTION, status: 'decrypted', integrity: result.integrity, recipients: result.recipients };
      case 'no-key':
        return { ...NO_ENCRYPTION, status: 'no-key', recipients: result.recipients };
      case 'needs-passphrase':
        this.warn('needs-passphrase', `a secret key for this message is locked (${result.keys.join(', ')}); give its passphrase`);
        return { ...NO_ENCRYPTION, status: 'no-key', recipients: result.recipients, lockedKeys: result.keys };
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

function decodeUtf8OrLatin1(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}
