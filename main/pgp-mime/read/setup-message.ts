/**
 * Finding the encrypted payload of an Autocrypt Setup Message (Autocrypt
 * Level 1, section "Message Structure") in what the user hands over: the
 * message (.eml) with its `application/autocrypt-setup` attachment, a
 * message that carries the block in a text part of its body (as K-9 Mail and
 * Delta Chat write it), or the saved attachment alone (.html, .asc). The
 * payload stays encrypted here; the keyring opens it.
 */
import { SealpostError } from '../../../app/errors.ts';
import { decodeBody, headerValue, parseMime, partText, walk, type MimePart } from './mime-parse.ts';

/** Far above any secret key; a larger file is not a setup message. */
export const MAX_SETUP_MESSAGE_BYTES = 8 * 1024 * 1024;

const BEGIN = '-----BEGIN PGP MESSAGE-----';
const END = '-----END PGP MESSAGE-----';

/**
 * The first ASCII-armored OpenPGP message in `text`, from its BEGIN line to
 * its END line, with LF line endings and each line trimmed; the text around
 * it is ignored, as the specification says. HTML markup inside the block
 * (`<br>` line breaks of a message shown as HTML) is removed: armor uses no
 * `<` or `>`. Null when there is no complete block.
 */
export function findArmoredMessage(text: string): string | null {
  const start = text.indexOf(BEGIN);
  if (start < 0) return null;
  const end = text.indexOf(END, start + BEGIN.length);
  if (end < 0) return null;
  const inner = text
    .slice(start + BEGIN.length, end)
    .replace(/<br\s*\/?>[ \t]*(?:\r\n|\r|\n)?/gi, '\n')
    .replace(/<[^<>]*>/g, '')
    .replace(/&#13;|&#10;/g, '\n');
  const lines = inner.split(/\r\n|\r|\n/).map((l) => l.trim());
  // The line break after BEGIN and before END: the first and last entries are what stood on those lines.
  if (lines.length < 2 || lines[0] !== '' || lines[lines.length - 1] !== '') return null;
  return [BEGIN, ...lines.slice(1, -1), END].join('\n') + '\n';
}

function isLeaf(part: MimePart): boolean {
  return part.children.length === 0 && !part.contentType.startsWith('multipart/');
}

/**
 * Whether a file is a whole mail (RFC 5322: it starts with a header field)
 * rather than a saved attachment (an HTML page, an armored block).
 */
export function isMailMessage(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 200)).toString('latin1');
  return /^[\x21-\x39\x3b-\x7e]+:/.test(head);
}

/**
 * The armored payload of a setup message file. A message that names itself
 * a setup message of another version (`Autocrypt-Setup-Message` other than
 * `v1`) is refused, as the specification asks; so is a file with no
 * payload at all.
 */
export function findSetupPayload(bytes: Uint8Array): string {
  if (bytes.length > MAX_SETUP_MESSAGE_BYTES)
    throw new SealpostError('setup-message-invalid', 'the file is too large to be an Autocrypt Setup Message', { reason: 'too-large' });
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isMailMessage(raw)) {
    const { root } = parseMime(raw);
    const version = headerValue(root, 'autocrypt-setup-message');
    if (version !== undefined && version.trim().toLowerCase() !== 'v1')
      throw new SealpostError(
        'setup-message-invalid',
        `the message is an Autocrypt Setup Message of version "${version.slice(0, 20)}", which is not read here`,
        { reason: 'other-version' },
      );
    const leaves = [...walk(root)].filter(isLeaf);
    // The attachment the specification names first, then any text part (the block in the body).
    const ordered = [
      ...leaves.filter((p) => p.contentType === 'application/autocrypt-setup'),
      ...leaves.filter((p) => p.contentType !== 'application/autocrypt-setup' && p.contentType.startsWith('text/')),
    ];
    for (const part of ordered) {
      const text = part.contentType.startsWith('text/') ? partText(part) : decodeBody(part).toString('utf8');
      const found = findArmoredMessage(text);
      if (found) return found;
    }
    throw new SealpostError('setup-message-invalid', 'the message holds no Autocrypt Setup Message (no armored OpenPGP message in it)', {
      reason: 'no-payload',
    });
  }
  const found = findArmoredMessage(raw.toString('utf8'));
  if (!found)
    throw new SealpostError(
      'setup-message-invalid',
      'not an Autocrypt Setup Message: no armored OpenPGP message (BEGIN PGP MESSAGE) in the file',
      { reason: 'no-payload' },
    );
  return found;
}
