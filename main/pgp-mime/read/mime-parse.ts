import libmime from 'libmime';
import libqp from 'libqp';

/**
 * A MIME tree that keeps every entity's exact bytes. A signature
 * (RFC 3156, section 5) covers the bytes of the signed entity exactly as
 * they stand between the boundaries; a parser that re-serializes loses them,
 * so this one only slices the input (RFC 2046, section 5.1.1: the line break
 * before a boundary delimiter belongs to the delimiter).
 */
export interface MimeHeader {
  /** Lower-cased field name. */
  key: string;
  /** The value, unfolded, still encoded (RFC 2047 words, RFC 2231 parameters). */
  value: string;
}

export interface MimePart {
  /** IMAP-style part number: "1", "1.2", ... ("" for the message itself when it is multipart). */
  path: string;
  headers: MimeHeader[];
  /** Lower-cased "type/subtype"; text/plain when absent (RFC 2045, section 5.2). */
  contentType: string;
  /** Content-Type parameters, names lower-cased, RFC 2231 values decoded. */
  params: Record<string, string>;
  /** The exact bytes of the entity: header block, blank line, body. */
  raw: Buffer;
  /** The body as it stands (still transfer-encoded). */
  body: Buffer;
  children: MimePart[];
  /** Set when the tree was cut off here (nesting or part count limit). */
  truncated: boolean;
}

export interface MimeLimits {
  maxDepth: number;
  maxParts: number;
  maxHeaderBytes: number;
}

export const DEFAULT_LIMITS: MimeLimits = { maxDepth: 24, maxParts: 1000, maxHeaderBytes: 256 * 1024 };

export interface ParsedMessage {
  root: MimePart;
  /** Limits hit while parsing; what lies beyond them is kept as opaque bytes. */
  limitsHit: string[];
}

const CR = 0x0d;
const LF = 0x0a;

/** The end of the header block: the index of the empty line's first byte, and where the body starts. */
function splitHeader(bytes: Buffer): { headerEnd: number; bodyStart: number } {
  if (bytes[0] === LF) return { headerEnd: 0, bodyStart: 1 };
  if (bytes[0] === CR && bytes[1] === LF) return { headerEnd: 0, bodyStart: 2 };
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== LF) continue;
    if (bytes[i + 1] === LF) return { headerEnd: i + 1, bodyStart: i + 2 };
    if (bytes[i + 1] === CR && bytes[i + 2] === LF) return { headerEnd: i + 1, bodyStart: i + 3 };
  }
  return { headerEnd: bytes.length, bodyStart: bytes.length };
}

/**
 * One header field's bytes as text. A field may carry UTF-8 (RFC 6532,
 * section 3.2); older mail carries raw 8-bit bytes in some legacy charset,
 * read as windows-1252 so that nothing is lost (every byte maps to a
 * character). Decided per field: a message often mixes both (a UTF-8
 * Subject written by one program, a Latin-1 display name added by a list
 * server), and one wrong charset for the whole block would garble the field
 * that was right.
 */
export function headerText(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/** Bytes of 7-bit text only: the same string whatever the charset, so no decoder is needed. */
function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return false;
  return true;
}

/**
 * A header block's bytes as fields, each field (with its folded continuation
 * lines, RFC 5322 section 2.2.3) decoded on its own by `headerText`. The
 * split is made on the bytes: a line break is a LF byte, which never occurs
 * inside a UTF-8 sequence nor in windows-1252 text.
 */
export function parseHeaderBytes(bytes: Uint8Array): MimeHeader[] {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isAscii(buf)) return parseHeaderBlock(buf.toString('latin1'));
  const fields: string[] = [];
  let fieldStart = 0;
  let at = 0;
  while (at < buf.length) {
    const lf = buf.indexOf(LF, at);
    const next = lf < 0 ? buf.length : lf + 1;
    // A line that starts with white space continues the field before it; any other line starts a new one.
    if (next < buf.length && buf[next] !== 0x20 && buf[next] !== 0x09) {
      fields.push(headerText(buf.subarray(fieldStart, next)));
      fieldStart = next;
    }
    at = next;
  }
  if (fieldStart < buf.length) fields.push(headerText(buf.subarray(fieldStart)));
  return parseHeaderBlock(fields.join(''));
}

/** Header fields of a header block already decoded to text (unfolded; names lower-cased; values trimmed). */
export function parseHeaderBlock(text: string): MimeHeader[] {
  const headers: MimeHeader[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && headers.length > 0) {
      // Unfolding (RFC 5322 section 2.2.3): a value that starts on the continuation line gets no leading space.
      const last = headers[headers.length - 1]!;
      const more = line.trim();
      last.value = last.value === '' ? more : more === '' ? last.value : `${last.value} ${more}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push({ key: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return headers;
}

export function headerValue(part: { headers: MimeHeader[] }, key: string): string | undefined {
  return part.headers.find((h) => h.key === key)?.value;
}

export function headerValues(part: { headers: MimeHeader[] }, key: string): string[] {
  return part.headers.filter((h) => h.key === key).map((h) => h.value);
}

export function parseStructured(value: string | undefined, fallback: string): { value: string; params: Record<string, string> } {
  if (!value) return { value: fallback, params: {} };
  const parsed = libmime.parseHeaderValue(value);
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed.params)) params[k.toLowerCase()] = String(v);
  return { value: (parsed.value || fallback).toLowerCase().trim(), params };
}

/**
 * Byte offsets of the boundary delimiter lines in a multipart body (RFC 2046, section 5.1.1), at most `max`:
 * a body of millions of delimiter lines would otherwise cost memory and time far beyond the part limit.
 */
function findBoundaries(body: Buffer, boundary: string, max: number): Array<{ start: number; lineEnd: number; close: boolean }> {
  const marker = Buffer.from(`--${boundary}`, 'utf8');
  const found: Array<{ start: number; lineEnd: number; close: boolean }> = [];
  let from = 0;
  for (;;) {
    const at = body.indexOf(marker, from);
    if (at < 0) break;
    from = at + marker.length;
    if (at !== 0 && body[at - 1] !== LF) continue; // must start a line
    let end = at + marker.length;
    const close = body[end] === 0x2d && body[end + 1] === 0x2d;
    if (close) end += 2;
    // Only linear white space may follow on the delimiter line.
    let k = end;
    while (k < body.length && (body[k] === 0x20 || body[k] === 0x09)) k++;
    if (k < body.length && body[k] !== CR && body[k] !== LF) continue;
    let lineEnd = k;
    if (body[lineEnd] === CR) lineEnd++;
    if (body[lineEnd] === LF) lineEnd++;
    // The CRLF before the delimiter belongs to it.
    let start = at;
    if (start > 0 && body[start - 1] === LF) start--;
    if (start > 0 && body[start - 1] === CR && at - start === 1) start--;
    found.push({ start, lineEnd, close });
    if (close || found.length >= max) break;
  }
  return found;
}

export function parseMime(bytes: Uint8Array, limits: MimeLimits = DEFAULT_LIMITS): ParsedMessage {
  const state = { parts: 0, limitsHit: [] as string[] };
  const input = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const root = parseEntity(input, '', 0, limits, state);
  return { root, limitsHit: state.limitsHit };
}

/** Parse one entity (a message or a body part) from its exact bytes. */
export function parseEntity(
  raw: Buffer,
  path: string,
  depth: number,
  limits: MimeLimits = DEFAULT_LIMITS,
  state: { parts: number; limitsHit: string[] } = { parts: 0, limitsHit: [] },
): MimePart {
  state.parts += 1;
  const { headerEnd, bodyStart } = splitHeader(raw);
  const headerBytes = Math.min(headerEnd, limits.maxHeaderBytes);
  if (headerEnd > limits.maxHeaderBytes) state.limitsHit.push(`header block over ${limits.maxHeaderBytes} bytes at part ${path || 'root'}`);
  const headers = parseHeaderBytes(raw.subarray(0, headerBytes));
  const ct = parseStructured(headerValue({ headers }, 'content-type'), 'text/plain');
  const body = raw.subarray(bodyStart);
  const part: MimePart = {
    path: path || (ct.value.startsWith('multipart/') ? '' : '1'),
    headers,
    contentType: ct.value.includes('/') ? ct.value : 'text/plain',
    params: ct.params,
    raw,
    body,
    children: [],
    truncated: false,
  };
  if (!part.contentType.startsWith('multipart/') || !ct.params.boundary) return part;
  if (depth >= limits.maxDepth) {
    part.truncated = true;
    state.limitsHit.push(`nesting deeper than ${limits.maxDepth} at part ${part.path || 'root'}`);
    return part;
  }
  // One delimiter per part the limit still allows, and one more to end the last of them.
  const marks = findBoundaries(body, ct.params.boundary, Math.max(0, limits.maxParts - state.parts) + 1);
  for (let i = 0; i < marks.length && !marks[i]!.close; i++) {
    if (state.parts >= limits.maxParts) {
      part.truncated = true;
      state.limitsHit.push(`more than ${limits.maxParts} parts`);
      break;
    }
    const from = marks[i]!.lineEnd;
    // A missing close delimiter ends the part at the end of the body.
    const to = i + 1 < marks.length ? marks[i + 1]!.start : body.length;
    const childPath = part.path ? `${part.path}.${part.children.length + 1}` : String(part.children.length + 1);
    part.children.push(parseEntity(body.subarray(from, Math.max(from, to)), childPath, depth + 1, limits, state));
  }
  return part;
}

/** The body with its Content-Transfer-Encoding undone (RFC 2045, section 6). */
export function decodeBody(part: MimePart): Buffer {
  const cte = (headerValue(part, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  if (cte === 'base64') return Buffer.from(part.body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  if (cte === 'quoted-printable') return Buffer.from(libqp.decode(part.body.toString('latin1')));
  return part.body;
}

/** Bytes in a named charset as text; an unknown charset is read as windows-1252, which loses nothing. */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string {
  const name =
    (charset ?? 'utf-8')
      .trim()
      .toLowerCase()
      .replace(/^(x-|cs)/, '') || 'utf-8';
  try {
    return new TextDecoder(name === 'us-ascii' || name === 'ascii' ? 'utf-8' : name).decode(bytes);
  } catch {
    return new TextDecoder('windows-1252').decode(bytes);
  }
}

/** The text of a part; `maxBytes` bounds what is decoded (the rest is cut off). */
export function partText(part: MimePart, maxBytes = Infinity): string {
  const body = decodeBody(part);
  let text = decodeCharset(body.length > maxBytes ? body.subarray(0, maxBytes) : body, part.params.charset);
  if ((part.params.format ?? '').toLowerCase() === 'flowed')
    text = libmime.decodeFlowed(text, (part.params.delsp ?? '').toLowerCase() === 'yes');
  return text;
}

/** An RFC 2047 encoded header as text. */
export function decodeHeader(value: string | undefined): string {
  if (value === undefined) return '';
  // Most fields carry no encoded word (RFC 2047 section 2: they start with "=?"): nothing to decode.
  if (!value.includes('=?')) return value;
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

export function filenameOf(part: MimePart): string | null {
  const disposition = parseStructured(headerValue(part, 'content-disposition'), '');
  const name = disposition.params.filename ?? part.params.name;
  return name ? decodeHeader(name) : null;
}

export function isAttachment(part: MimePart): boolean {
  const disposition = parseStructured(headerValue(part, 'content-disposition'), '').value;
  return disposition === 'attachment' || (disposition !== 'inline' && filenameOf(part) !== null && !part.contentType.startsWith('text/'));
}

/** Every part, depth first. */
export function* walk(part: MimePart): Generator<MimePart> {
  yield part;
  for (const child of part.children) yield* walk(child);
}
