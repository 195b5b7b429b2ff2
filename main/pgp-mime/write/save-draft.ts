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
 * The bytes are composeMessage's, with its `draft` option.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../../app/errors.ts';
import type { KeyringClient } from '../../../app/node/keyring-client.ts';
import { composeMessage } from './compose.ts';
import type { Draft, DraftAttachment } from './draft.ts';
import { getDraft, saveDraft, type DraftItem } from '../../store/drafts.ts';
import { MessageInspector } from '../read/message-walk.ts';
import { parseAddresses } from '../read/addresses.ts';
import {
  decodeBody,
  decodeHeader,
  filenameOf,
  headerValue,
  isAttachment,
  parseMime,
  partText,
  walk,
  type MimePart,
} from '../read/mime-parse.ts';

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

/** The RFC 5322 bytes of a draft: plain, or encrypted to the sender when the message will be encrypted. */
export async function composeDraft(
  keyring: KeyringClient,
  draft: Draft,
  opts: { encrypt: boolean; keyPasswords?: string[] },
): Promise<Buffer> {
  return composeMessage(keyring, draft, {
    encrypt: opts.encrypt,
    sign: false,
    attachKey: false,
    keyPasswords: opts.keyPasswords ?? [],
    draft: true,
  });
}

/** Composes the draft and stores it: a new draft, or a new revision of `opts.id`. */
export async function saveComposedDraft(
  db: DatabaseSync,
  keyring: KeyringClient,
  accountId: string,
  draft: Draft,
  opts: SaveDraftOptions,
): Promise<DraftItem> {
  const raw = await composeDraft(keyring, draft, opts);
  return saveDraft(db, { accountId, raw, encrypted: opts.encrypt, ...(opts.id !== undefined ? { id: opts.id } : {}) });
}

// ---------------------------------------------------------------------------
// Reading a draft back

function decryptionError(status: string, warnings: { code: string }[]): SealpostError {
  const has = (code: string) => warnings.some((w) => w.code === code);
  if (has('needs-passphrase'))
    // Which of the user's keys is locked is not in the report: the prompt offers the account's keys.
    return new SealpostError('key-passphrase-required', 'the draft is encrypted to a locked key; give its passphrase', {
      fingerprints: [],
    });
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
      attachments.push({
        filename: filenameOf(part) ?? 'attachment',
        contentType: part.contentType,
        content: new Uint8Array(decodeBody(part)),
      });
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
export async function loadDraft(
  db: DatabaseSync,
  keyring: KeyringClient,
  id: number,
  opts: { keyPasswords?: string[] } = {},
): Promise<LoadedDraft | null> {
  const stored = getDraft(db, id);
  if (!stored) return null;
  const { root, limitsHit } = parseMime(stored.raw);
  if (limitsHit.length > 0) throw new SealpostError('bad-input', `the draft is too complex to read (${limitsHit[0]})`);
  let entity: MimePart = root;
  if (stored.encrypted) {
    const inspector = new MessageInspector(keyring, { keyPasswords: opts.keyPasswords ?? [] });
    const analysis = await inspector.analyzeRoot(root);
    if (analysis.encryption.status === 'none') throw new SealpostError('internal', `draft ${id} is recorded as encrypted but is not`);
    if (analysis.encryption.status !== 'decrypted' || !analysis.content)
      throw decryptionError(analysis.encryption.status, inspector.report().warnings);
    entity = analysis.content;
  }
  return { id: stored.id, revision: stored.revision, encrypted: stored.encrypted, draft: draftFromEntity(entity) };
}
