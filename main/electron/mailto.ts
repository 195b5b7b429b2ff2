/**
 * mailto: URLs (RFC 6068) as the system hands them to the app, turned into
 * what the composer is opened with. The URL comes from anywhere (a web page,
 * another program, a crafted command line), so:
 *
 * - only the `mailto:` scheme, case-insensitive, and at most MAX_MAILTO_LENGTH
 *   characters (longer is refused whole, not cut: a cut address would be wrong);
 * - recipients from the path and the `to`, `cc` and `bcc` fields, each a list
 *   separated by commas; anything that is not a plain address is dropped;
 * - `subject` on one line (CR, LF and other control characters become
 *   spaces: the composer puts it in a header), `body` with its line breaks;
 * - every other field is ignored: `attach`/`attachment` (a link must never
 *   make the app read a local file into a message), `from`, `in-reply-to`,
 *   `x-...`, anything else;
 * - percent-decoding as UTF-8; malformed sequences stay as they are and bytes
 *   that are not UTF-8 become U+FFFD; `+` is a plus sign (RFC 6068 has no
 *   form encoding).
 */
import { sameAddress } from '../../app/address.ts';

export interface ComposeRequest {
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  body: string;
}

/** A Windows command line holds at most 32767 characters; twice that leaves room for every real link. */
export const MAX_MAILTO_LENGTH = 64 * 1024;
/** The limits of the `compose.open` event (app/ipc/contract.ts). */
export const MAX_RECIPIENTS = 100;
export const MAX_ADDRESS_LENGTH = 320;
export const MAX_SUBJECT_LENGTH = 2000;
export const MAX_BODY_LENGTH = 100_000;

const SCHEME = /^mailto:/i;
const utf8 = new TextDecoder('utf-8', { fatal: false });

/** %XX sequences decoded as UTF-8; a `%` that does not start one stays. */
export function percentDecode(text: string): string {
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    const bytes = new Uint8Array(run.length / 3);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
    return utf8.decode(bytes);
  });
}

/** Cut to `max` UTF-16 units without leaving half a surrogate pair. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head;
}

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
const CONTROLS = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g;
// The same without tab and line feed, which a body keeps.
const BODY_CONTROLS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
// Bidirectional embeddings, overrides and isolates: in a subject they can make the text read as something else.
const BIDI = /[\u202A-\u202E\u2066-\u2069]/g;

function oneLine(text: string): string {
  return text.replace(CONTROLS, ' ').replace(BIDI, '').replace(/ {2,}/g, ' ').trim();
}

/**
 * A plain address (local@domain): no spaces, brackets, quotes, controls or
 * separators, one `@`, a dot-free-or-dotted domain without empty labels.
 * "Name <a@b>" gives a@b. Anything else: null.
 */
export function plainAddress(text: string): string | null {
  let candidate = text.trim();
  const bracketed = /^[^<>]*<([^<>]*)>$/.exec(candidate);
  if (bracketed) candidate = bracketed[1]!.trim();
  if (candidate.length === 0 || candidate.length > MAX_ADDRESS_LENGTH) return null;
  if (/[\s<>()[\]\\,;:"\u0000-\u001F\u007F-\u009F\u2028\u2029\u202A-\u202E\u2066-\u2069\u200E\u200F]/.test(candidate)) return null;
  const at = candidate.lastIndexOf('@');
  if (at <= 0 || at !== candidate.indexOf('@') || at === candidate.length - 1) return null;
  const local = candidate.slice(0, at);
  const domain = candidate.slice(at + 1);
  if (local.length > 64 || local.startsWith('.') || local.endsWith('.') || local.includes('..')) return null;
  if (domain.split('.').some((label) => label.length === 0 || label.length > 63)) return null;
  return candidate;
}

function addresses(raw: string, into: string[]): void {
  for (const part of percentDecode(raw).split(',')) {
    if (into.length >= MAX_RECIPIENTS) return;
    const address = plainAddress(part);
    if (address && !into.some((a) => sameAddress(a, address))) into.push(address);
  }
}

/** The composer's fields from a mailto: URL, or null when it is not one (another scheme, too long, not a string). */
export function parseMailto(url: unknown): ComposeRequest | null {
  if (typeof url !== 'string' || url.length > MAX_MAILTO_LENGTH || !SCHEME.test(url)) return null;
  // A fragment is not part of a mailto: URL (RFC 6068 §2: '#' must be encoded); what follows one is dropped.
  const rest = url.slice('mailto:'.length).split('#', 1)[0]!;
  const query = rest.indexOf('?');
  const path = query === -1 ? rest : rest.slice(0, query);
  const fields = query === -1 ? '' : rest.slice(query + 1);

  const request: ComposeRequest = { to: [], cc: [], bcc: [], subject: '', body: '' };
  let subject: string | null = null;
  let body: string | null = null;
  addresses(path, request.to);
  for (const field of fields.split('&')) {
    if (field === '') continue;
    const eq = field.indexOf('=');
    const name = percentDecode(eq === -1 ? field : field.slice(0, eq))
      .trim()
      .toLowerCase();
    const value = eq === -1 ? '' : field.slice(eq + 1);
    switch (name) {
      case 'to':
      case 'cc':
      case 'bcc':
        addresses(value, request[name]);
        break;
      // The first one counts: a second subject or body is not a continuation.
      case 'subject':
        subject ??= value;
        break;
      case 'body':
        body ??= value;
        break;
      default:
        // attach, attachment, from, in-reply-to, x-*, ...: never taken from a link.
        break;
    }
  }
  if (subject !== null) request.subject = cut(oneLine(percentDecode(subject)), MAX_SUBJECT_LENGTH);
  if (body !== null) {
    const text = percentDecode(body).replace(/\r\n?/g, '\n').replace(BODY_CONTROLS, '');
    request.body = cut(text, MAX_BODY_LENGTH);
  }
  return request;
}

/** The mailto: URLs among command-line arguments (Windows and Linux hand the link over this way). */
export function mailtoArguments(argv: readonly unknown[]): string[] {
  return argv.filter((a): a is string => typeof a === 'string' && SCHEME.test(a) && a.length <= MAX_MAILTO_LENGTH);
}
