/**
 * Inline PGP in a text body: cleartext-signed blocks (RFC 9580, section 7)
 * and armored messages. Whether such a block is the whole body or only a
 * piece of it decides what the report may say about the message.
 */
export interface InlineBlock {
  kind: 'signed' | 'encrypted';
  /** The block's text, armor lines included. */
  text: string;
  start: number;
  end: number;
}

const BEGIN = /-----BEGIN PGP (SIGNED MESSAGE|MESSAGE)-----/g;
const END = /-----END PGP (SIGNATURE|MESSAGE)-----/g;

/** Inline blocks are looked for in the first 8 MiB of a text: beyond that, a body is no inline PGP mail. */
const SCAN_LIMIT = 8 * 1024 * 1024;

export function findInlineBlocks(text: string): InlineBlock[] {
  const blocks: InlineBlock[] = [];
  const scanned = text.length > SCAN_LIMIT ? text.slice(0, SCAN_LIMIT) : text;
  // A block runs from a BEGIN line to the first END line after it. When a BEGIN line has no END after it, no later
  // one has either: the scan stops there, so many BEGIN lines cost linear time, not n² (one lazy regex did that).
  let from = 0;
  for (;;) {
    BEGIN.lastIndex = from;
    const begin = BEGIN.exec(scanned);
    if (!begin) break;
    END.lastIndex = begin.index + begin[0].length;
    const end = END.exec(scanned);
    if (!end) break;
    from = end.index + end[0].length;
    const signed = begin[1] === 'SIGNED MESSAGE';
    if (signed !== (end[1] === 'SIGNATURE')) continue;
    blocks.push({ kind: signed ? 'signed' : 'encrypted', text: scanned.slice(begin.index, from), start: begin.index, end: from });
  }
  return blocks;
}

/** True when nothing but white space lies outside the one block. */
export function isWholeBody(text: string, block: InlineBlock): boolean {
  return text.slice(0, block.start).trim() === '' && text.slice(block.end).trim() === '';
}

/**
 * Armor pasted through HTML or quoted-printable mail often carries no-break
 * spaces and stray indentation; base64 and armor lines never contain either,
 * so they are removed there (and only there: a signed text stays as it is).
 */
export function cleanArmor(block: string): string {
  return block
    .replace(/\u00a0/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .join('\n');
}

/** The armor lines of a cleartext-signed block cleaned the same way; its signed text untouched but for no-break spaces in blank lines. */
export function cleanSignedBlock(block: string): string {
  const sigAt = block.indexOf('-----BEGIN PGP SIGNATURE-----');
  if (sigAt < 0) return block;
  const lines = block.slice(0, sigAt).split(/\r?\n/);
  const header = lines[0]!.trim();
  return [header, ...lines.slice(1)].join('\n') + cleanArmor(block.slice(sigAt));
}

/**
 * A cleartext-signed block split into the bytes the signature covers and the
 * signature (RFC 9580, section 7): headers up to the first blank line
 * skipped, dash-escaping undone, trailing spaces and tabs of each line
 * dropped, lines joined by CRLF, the line break before the signature armor
 * left out. Done on bytes, in whatever charset the mail uses, because the
 * signer hashed bytes: a text decoded to UTF-8 first would not verify.
 */
export function splitCleartext(bytes: Uint8Array): { signed: Buffer; signature: Buffer } | null {
  const s = Buffer.from(bytes).toString('latin1');
  const begin = s.indexOf('-----BEGIN PGP SIGNED MESSAGE-----');
  if (begin < 0) return null;
  const sigStart = s.indexOf('-----BEGIN PGP SIGNATURE-----', begin);
  const sigEndAt = sigStart < 0 ? -1 : s.indexOf('-----END PGP SIGNATURE-----', sigStart);
  if (sigStart < 0 || sigEndAt < 0) return null;
  let pos = s.indexOf('\n', begin) + 1;
  if (pos === 0) return null;
  // Armor headers ("Hash: SHA256") end at the first blank line.
  for (;;) {
    const eol = s.indexOf('\n', pos);
    if (eol < 0 || eol > sigStart) return null;
    const line = s.slice(pos, eol).replace(/\r$/, '');
    pos = eol + 1;
    if (line.trim() === '') break;
  }
  const body = s.slice(pos, sigStart).replace(/\r?\n$/, '');
  const lines = body.split(/\r?\n/).map((line) => line.replace(/[ \t]+$/, '').replace(/^- /, ''));
  return {
    signed: Buffer.from(lines.join('\r\n'), 'latin1'),
    signature: Buffer.from(s.slice(sigStart, sigEndAt + '-----END PGP SIGNATURE-----'.length), 'latin1'),
  };
}
