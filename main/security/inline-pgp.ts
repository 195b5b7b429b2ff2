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

const BLOCK = /-----BEGIN PGP (SIGNED MESSAGE|MESSAGE)-----[\s\S]*?-----END PGP (SIGNATURE|MESSAGE)-----/g;

/** Inline blocks are looked for in the first 8 MiB of a text: beyond that, a body is no inline PGP mail. */
const SCAN_LIMIT = 8 * 1024 * 1024;

export function findInlineBlocks(text: string): InlineBlock[] {
  const blocks: InlineBlock[] = [];
  const scanned = text.length > SCAN_LIMIT ? text.slice(0, SCAN_LIMIT) : text;
  // Without an END line there is no block; checking first keeps many BEGIN lines from costing n² time.
  if (!scanned.includes('-----END PGP ')) return blocks;
  for (const m of scanned.matchAll(BLOCK)) {
    const signed = m[1] === 'SIGNED MESSAGE';
    if (signed !== (m[2] === 'SIGNATURE')) continue;
    blocks.push({ kind: signed ? 'signed' : 'encrypted', text: m[0], start: m.index!, end: m.index! + m[0].length });
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
