/**
 * The Legacy Display Element of RFC 9788 (section 4.5.3 says how a reader
 * treats it): a copy of the protected
 * header fields that an encrypting sender writes at the top of the main body
 * part, for readers that do not know header protection, marked by
 * `hp-legacy-display="1"` on the part's Content-Type. A reader that shows the
 * protected header fields itself leaves that copy out, or the message would
 * show its Subject (and the rest) twice, once as if it were body text.
 *
 * - text/plain: the lines from the start up to and including the first blank
 *   line, when they look like header fields;
 * - text/html: every `div` element whose class is
 *   `header-protection-legacy-display` (section 4.5.3.3), cut out of the
 *   HTML as it stands, the rest untouched.
 */

/** RFC 5322 section 3.6.8: a field name is printable ASCII but the colon; a folded line starts with white space. */
const FIELD_LINE = /^[\x21-\x39\x3b-\x7e]+:/;
const FOLDED_LINE = /^[ \t]/;

/** Whether a part's Content-Type marks it as carrying a legacy display element (`hp-legacy-display="1"`, RFC 9788). */
export function hasLegacyDisplay(params: Record<string, string>): boolean {
  return (params['hp-legacy-display'] ?? '').trim() === '1';
}

/**
 * A text/plain body without its legacy display element. Only lines that read
 * as header fields are taken for it: a body whose first lines are anything
 * else is returned unchanged, so that no text of the message is lost. A part
 * that is nothing but such lines (a legacy display part of its own) becomes
 * empty.
 */
export function withoutLegacyDisplayText(text: string): string {
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    const next = nl < 0 ? text.length : nl + 1;
    const line = text.slice(at, nl < 0 ? text.length : nl).replace(/\r$/, '');
    if (line === '') return at === 0 ? text : text.slice(next);
    if (!FIELD_LINE.test(line) && !(at > 0 && FOLDED_LINE.test(line))) return text;
    at = next;
  }
  return at === 0 ? text : '';
}

/** Elements whose content the HTML parser reads as text (raw text and RCDATA): a "<div" inside them is no tag. */
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'xmp', 'iframe', 'noembed', 'noframes', 'noscript']);
const LEGACY_CLASS = 'header-protection-legacy-display';

interface Tag {
  name: string;
  close: boolean;
  /** Where the tag starts ("<") and where the text after it starts. */
  start: number;
  end: number;
  attributes: string;
}

/**
 * The tags of an HTML text, in order, read in one pass (every character
 * looked at a bounded number of times: a hostile 4 MB page costs linear
 * time). Comments and raw text are stepped over; an unterminated tag or
 * quoted value runs to the end, as in a browser.
 */
function* tags(html: string): Generator<Tag> {
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt < 0) return;
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end < 0 ? html.length : end + 3;
      continue;
    }
    const close = html[lt + 1] === '/';
    const nameStart = lt + (close ? 2 : 1);
    if (!/[a-zA-Z]/.test(html[nameStart] ?? '')) {
      i = lt + 1;
      continue;
    }
    let j = nameStart;
    while (j < html.length && !/[\s/>]/.test(html[j]!)) j++;
    const name = html.slice(nameStart, j).toLowerCase();
    const attrStart = j;
    // A quote opens a value only after "=" (the HTML tokenizer's "before attribute value" state); elsewhere it is part of a name.
    let afterEquals = false;
    while (j < html.length && html[j] !== '>') {
      const c = html[j]!;
      if (afterEquals && (c === '"' || c === "'")) {
        const q = html.indexOf(c, j + 1);
        j = q < 0 ? html.length : q + 1;
        afterEquals = false;
        continue;
      }
      if (c === '=') afterEquals = true;
      else if (!/\s/.test(c)) afterEquals = false;
      j++;
    }
    const end = Math.min(j + 1, html.length);
    yield { name, close, start: lt, end, attributes: html.slice(attrStart, j) };
    i = end;
    if (!close && RAW_TEXT.has(name)) {
      const closing = new RegExp(`</${name}[\\s/>]`, 'gi');
      closing.lastIndex = i;
      const found = closing.exec(html);
      i = found ? found.index : html.length;
    }
  }
}

/** The value of the `class` attribute in a start tag's attribute text, read attribute by attribute (a quoted value may hold anything). */
function classOf(attributes: string): string | null {
  const attribute = /\s*([^\s=]+)(?:\s*=\s*(?:"([^"]*)"?|'([^']*)'?|([^\s]*)))?/y;
  let at = 0;
  while (at < attributes.length) {
    attribute.lastIndex = at;
    const m = attribute.exec(attributes);
    if (!m || m[0] === '') return null;
    if (m[1]!.toLowerCase() === 'class') return m[2] ?? m[3] ?? m[4] ?? '';
    at = attribute.lastIndex;
  }
  return null;
}

function isLegacyDiv(tag: Tag): boolean {
  if (tag.close || tag.name !== 'div') return false;
  return (classOf(tag.attributes) ?? '').split(/\s+/).includes(LEGACY_CLASS);
}

/**
 * HTML without its legacy display elements: each such `div`, from its start
 * tag to its matching end tag, is cut out; one that is never closed runs to
 * the end of the body, as it would in a browser. Everything else stays byte
 * for byte as it was.
 */
export function withoutLegacyDisplayHtml(html: string): string {
  if (!html.includes(LEGACY_CLASS)) return html;
  const cuts: Array<[number, number]> = [];
  let open: { start: number; depth: number } | null = null;
  for (const tag of tags(html)) {
    if (open) {
      if (tag.name === 'div') open.depth += tag.close ? -1 : 1;
      if (open.depth === 0) {
        cuts.push([open.start, tag.end]);
        open = null;
      } else if (tag.close && (tag.name === 'body' || tag.name === 'html')) {
        cuts.push([open.start, tag.start]);
        open = null;
      }
    } else if (isLegacyDiv(tag)) open = { start: tag.start, depth: 1 };
  }
  if (open) cuts.push([open.start, html.length]);
  if (cuts.length === 0) return html;
  let out = '';
  let from = 0;
  for (const [start, end] of cuts) {
    out += html.slice(from, start);
    from = end;
  }
  return out + html.slice(from);
}
