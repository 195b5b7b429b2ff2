import type { Config, DOMPurify } from 'dompurify';

/**
 * HTML mail, made safe to show in the reader's frame: a pure function of a
 * DOMPurify instance (the renderer passes the one bound to its window; the
 * tests run it in Chromium, since DOMPurify needs a real DOM).
 *
 * Layers that keep a message inert, each enough on its own for scripts:
 *  1. this sanitizer: no scripts, no forms, no frames or plugins, no
 *     references that would load anything from off the message (src,
 *     srcset, background, href of non-links, CSS url(), SVG url()
 *     attributes, @import, image-set) unless the user allowed remote
 *     content for this message;
 *  2. the frame document's own CSP (frameDocument below);
 *  3. the iframe's empty sandbox (no scripts, no same origin, no popups,
 *     no top navigation), set by the reader component;
 *  4. in the app, the session's request filter: the frame loads only the
 *     URLs listed in `remoteUrls` (main/services/frame-requests.ts): with
 *     consent the frame's CSP allows any https: image, this filter only
 *     the ones that were counted.
 */

export interface SanitizedMail {
  html: string;
  /** References to content off the message that were removed and that consent would load (0 when remote content was allowed). */
  blockedRemote: number;
  /** References that stay because remote content was allowed. */
  allowedRemote: number;
  /**
   * The absolute URLs of the references that stay (empty without consent):
   * main lets the frame fetch these and nothing else (main/services/frame-requests.ts).
   */
  remoteUrls: string[];
}

export interface SanitizeOptions {
  allowRemote: boolean;
}

const FORBID_TAGS = [
  'script',
  'noscript',
  'form',
  'input',
  'button',
  'select',
  'option',
  'optgroup',
  'textarea',
  'datalist',
  'keygen',
  'output',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'portal',
  'base',
  'link',
  'meta',
  'template',
  'audio',
  'video',
  'track',
  // Elements whose end the parser never finds again: one would swallow everything after it.
  'plaintext',
  'xmp',
  'noembed',
  'noframes',
];
const FORBID_ATTR = ['action', 'formaction', 'ping', 'srcdoc', 'http-equiv', 'autofocus', 'target'];
/** Attributes that name something to fetch; which of them the browser actually loads depends on the element (see loadingContext). */
const LOADING_ATTRS = ['src', 'srcset', 'background', 'poster', 'lowsrc', 'dynsrc', 'data', 'imagesrcset'];
/** Elements whose `background` attribute Chromium loads as an image. */
const BACKGROUND_ELEMENTS = new Set(['TABLE', 'THEAD', 'TBODY', 'TFOOT', 'TR', 'TD', 'TH']);
/**
 * SVG presentation attributes (and the same CSS properties) whose url() names
 * a paint server, filter, mask, clip path or marker. Chromium fetches such a
 * reference from another document (seen for fill, stroke, mask, clip-path and
 * the markers), so they are references like CSS url(): only fragments of the
 * message (`url(#id)`) and its own parts (`cid:`) stay.
 */
const SVG_REFERENCE_PROPERTIES = new Set([
  'fill',
  'stroke',
  'filter',
  'mask',
  'clip-path',
  'marker',
  'marker-start',
  'marker-mid',
  'marker-end',
]);

/**
 * Where a reference sits decides whether consent can load it. The frame's
 * policy after consent allows https: images and nothing else that leaves the
 * message (messageFrameCsp in main/services/message-frames.ts), so:
 * - image: loaded with consent when https:;
 * - svg: an SVG resource (fill, mask...): loaded with consent when https:
 *   (Chromium fetches the document under img-src), local when a fragment
 *   or a cid: part;
 * - filter: local when a fragment or a cid: part, never loaded otherwise;
 * - never: nothing consent would load (fonts: font-src allows data: only;
 *   filters and <use>: Chromium refuses them from another origin; @import;
 *   attributes Chromium does not load at all).
 */
type RefContext = 'image' | 'svg' | 'filter' | 'font' | 'never';

/** What a reference becomes: local (stays), remote (counted: kept with consent, removed without), dropped (removed, not counted). */
type Verdict = 'local' | 'remote' | 'dropped';

function classify(url: string, context: RefContext): Verdict {
  const u = url.trim().toLowerCase();
  if (u === '' || u.startsWith('#')) return 'local';
  if (context === 'image' && u.startsWith('data:image/')) return 'local';
  if (context === 'font' && u.startsWith('data:')) return 'local';
  if ((context === 'svg' || context === 'filter') && u.startsWith('cid:')) return 'local';
  // http: is not remote content consent loads: the frame's policy allows https: only. Removed, not counted.
  if ((context === 'image' || context === 'svg') && u.startsWith('https://') && absoluteHttps(url) !== null) return 'remote';
  return 'dropped';
}

/** The URL the browser would ask for (without its fragment), or null when it is not an absolute https: URL. */
function absoluteHttps(url: string): string | null {
  try {
    const parsed = new URL(url.trim());
    parsed.hash = ''; // never sent: the request is for the document
    return parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** Links that may stay (they load nothing by being shown). */
function isSafeLink(url: string): boolean {
  return /^\s*(https?:|mailto:)/i.test(url) || url.trim().startsWith('#');
}

/** What was removed or kept of the references off the message, and which URLs may load. */
export interface RemoteTally {
  blocked: number;
  allowed: number;
  urls: Set<string>;
}

function newTally(): RemoteTally {
  return { blocked: 0, allowed: 0, urls: new Set() };
}

/** Counts one remote reference (made of one or more URLs, like a srcset) and says whether it stays. */
function tallyRemote(urls: string[], allowRemote: boolean, tally: RemoteTally): boolean {
  if (!allowRemote) {
    tally.blocked++;
    return false;
  }
  tally.allowed++;
  for (const u of urls) tally.urls.add(absoluteHttps(u)!);
  return true;
}

/** The CSS property a position of a declaration list belongs to ("" when none), and whether it is inside @font-face. */
function cssContext(css: string, offset: number): RefContext {
  const before = css.slice(0, offset);
  const open = before.lastIndexOf('{');
  if (open > before.lastIndexOf('}') && /@font-face\s*$/i.test(before.slice(0, open))) return 'font';
  const start = Math.max(before.lastIndexOf(';'), open, before.lastIndexOf('}')) + 1;
  const property = /^\s*([-a-zA-Z]+)\s*:/.exec(before.slice(start))?.[1]?.toLowerCase() ?? '';
  if (property === 'filter' || property === '-webkit-filter') return 'filter';
  return SVG_REFERENCE_PROPERTIES.has(property) ? 'svg' : 'image';
}

/**
 * Mail CSS that could pin the sender's content in place while the reader
 * scrolls (a fake "signed and encrypted" bar under the app's real banner):
 * `position: fixed` and `position: sticky` are dropped, and so is a position
 * computed at run time (`var()`, `env()`, `attr()`), which could spell either.
 */
const POSITION_DECLARATION = /(^|[;{\s])position\s*:([^;{}]*)/gi;
const PINNED_VALUE = /fixed|sticky|var\(|env\(|attr\(/i;

function dropPinnedPositions(css: string): string {
  return css.replace(POSITION_DECLARATION, (whole, before: string, value: string) => (PINNED_VALUE.test(value) ? before : whole));
}

/**
 * CSS with every reference off the message removed: @import rules, url() and
 * image-set() that do not point to the message itself (or, with consent, to
 * https: images); and no fixed or sticky positioning.
 */
export function cleanCss(css: string, allowRemote: boolean, tally: RemoteTally = newTally()): string {
  let out = css.replace(/\/\*[\s\S]*?\*\//g, ' ');
  // CSS escapes could spell "url(" or "fixed" in disguise: a style with backslash escapes is dropped whole.
  // Not counted: consent would not bring it back.
  if (/\\/.test(out)) return '';
  out = dropPinnedPositions(out);
  // @import loads a stylesheet, which the frame's style-src never allows: removed, not counted.
  out = out.replace(/@import\b[^;]*;?/gi, '');
  // Kept references are set aside while the rest is checked, then put back.
  const kept: string[] = [];
  const keep = (text: string) => `__sealpost_kept_${kept.push(text) - 1}__`;
  // image-set("a.png" 1x): strings load too. One reference: the browser loads one of its images.
  out = out.replace(/(?:-webkit-)?image-set\(((?:[^()]|url\([^()]*\))*)\)/gi, (whole, inner: string, offset: number) => {
    const context = cssContext(out, offset);
    const targets = [...inner.matchAll(/url\(\s*(['"]?)(.*?)\1\s*\)|(['"])(.*?)\3/g)].map((m) => m[2] ?? m[4] ?? '');
    const verdicts = targets.map((t) => classify(t, context === 'font' ? 'never' : context));
    if (verdicts.every((v) => v === 'local')) return keep(whole);
    const remote = targets.filter((_, i) => verdicts[i] === 'remote');
    if (verdicts.every((v) => v !== 'dropped') && tallyRemote(remote, allowRemote, tally)) return keep(whole);
    return 'none';
  });
  out = out.replace(/url\(\s*(['"]?)(.*?)\1\s*\)/gi, (whole, _q: string, target: string, offset: number) => {
    const v = classify(target, cssContext(out, offset));
    if (v === 'local') return keep(whole);
    if (v === 'remote' && tallyRemote([target], allowRemote, tally)) return keep(whole);
    return 'none';
  });
  // Anything left that still looks like a reference (an unclosed url( or image-set( ...): refused.
  if (/url\s*\(|@import|image-set/i.test(out)) return '';
  // Put back in reverse order: a kept image-set holds kept url() tokens.
  for (let i = kept.length - 1; i >= 0; i--) out = out.replace(`__sealpost_kept_${i}__`, () => kept[i]!);
  return out;
}

/** Where a `<style>` element stood while DOMPurify parses the mail, and which sheet it held (see neutralizeBeforeParsing). */
const SHEET_TAG = 'sp-sheet';
const SHEET_ATTR = 'data-sp-sheet';

/** What inline style attributes are called while DOMPurify parses the mail (see neutralizeBeforeParsing). */
const RENAMED_STYLE = 'data-sp-inline-style';

/**
 * Runs over the mail's text before DOMPurify parses it into a document: even
 * that inert document is checked against the app page's policy, and Chromium
 * reports a violation for a style attribute, an event handler attribute or a
 * `<base href>` or a `<style>` element it meets there. So every `<style>`
 * element is taken out whole (its text kept in `sheets`, an empty
 * placeholder element left, which the hooks replace by the cleaned sheet in
 * the frame's own style element), in every start tag `style=` is renamed
 * (the hook below takes it back as the element's style), `on…=` attributes
 * get a name DOMPurify drops, and `<base` becomes an unknown element that
 * DOMPurify removes. A tag this misses (a `>` inside an earlier attribute
 * value) is still cleaned by DOMPurify, at the cost of one console report.
 */
function neutralizeBeforeParsing(html: string, sheets: string[]): string {
  // A style element's text runs to the first `</style` (HTML's raw text elements), or to the end of the part.
  const withoutSheets = html.replace(/<style\b[^>]*>([\s\S]*?)(?:<\/style(?:[\s/][^>]*)?(?:>|$)|$)/gi, (_m, css: string) => {
    sheets.push(css);
    return `<${SHEET_TAG} ${SHEET_ATTR}="${sheets.length - 1}"></${SHEET_TAG}>`;
  });
  return withoutSheets.replace(/<([a-zA-Z][^\s/>]*)([^<>]*)>/g, (_tag, name: string, rest: string) => {
    const tagName = /^base$/i.test(name) ? 'sp-removed-base' : name;
    const attributes = rest
      .replace(/([\s/"'])style(\s*=)/gi, `$1${RENAMED_STYLE}$2`)
      // An attribute name may follow a quote or a slash without a space (`<img/onerror=...>`, `src="x"onload=...`).
      .replace(/([\s/"'])(on[a-z]+)(?=\s*=)/gi, '$1sp-removed-$2');
    return `<${tagName}${attributes}>`;
  });
}

/** How often the attribute selector of a moved inline style is repeated: enough specificity to win over the mail's own class rules. */
const STYLE_SPECIFICITY = 8;

/** How an element's loading attribute is read: which references it names and whether the browser would load them. */
function loadingContext(node: Element, name: string): RefContext {
  const tag = node.nodeName;
  if (name === 'src' || name === 'srcset') {
    if (tag === 'IMG') return 'image';
    if (name === 'srcset' && tag === 'SOURCE' && node.parentNode?.nodeName === 'PICTURE') return 'image';
  }
  if (name === 'background' && BACKGROUND_ELEMENTS.has(tag)) return 'image';
  // lowsrc, dynsrc, poster (no <video>), data (no <object>), imagesrcset (no <link>) and the rest: nothing Chromium loads here.
  return 'never';
}

/**
 * The mail's HTML, made safe for the frame. `html` may be the message's HTML
 * parts one by one (main/pgp-mime/read/body-text.ts): each is parsed and
 * serialized on its own before they are joined, so markup left open in one
 * part (an unclosed `<img src="…` or `<style>`) ends with that part and can
 * never take the next one in: EFAIL's direct exfiltration (Poddebniak et al.,
 * USENIX Security 2018) wraps a decrypted part between two such parts.
 */
export function sanitizeMailHtml(purify: DOMPurify, html: string | readonly string[], options: SanitizeOptions): SanitizedMail {
  const tally = newTally();
  const { allowRemote } = options;
  // Inline style attributes are moved into one <style> element of the frame: setting a style attribute here,
  // in the app page, is refused by the page's own policy (style-src 'self'); the frame's policy allows styles.
  // The ids run across all parts, so that one part's rules never apply to another's elements.
  const inlineStyles = new WeakMap<Node, string>();
  const styleRules: string[] = [];
  const onAttribute = (node: Element, data: { attrName: string; attrValue: string; keepAttr: boolean }) => {
    if (data.attrName !== 'style' && data.attrName !== RENAMED_STYLE) return;
    inlineStyles.set(node, data.attrValue);
    data.keepAttr = false;
  };

  // The mail's own style sheets, cleaned, in the order they came; they go into the frame's style element.
  const mailSheets: string[] = [];
  let sheets: string[] = [];
  const onElement = (node: Node) => {
    if (node.nodeName === 'STYLE' && node.textContent) node.textContent = cleanCss(node.textContent, allowRemote, tally);
    if (node.nodeName === SHEET_TAG.toUpperCase() && 'getAttribute' in node) {
      const css = sheets[Number((node as Element).getAttribute(SHEET_ATTR))];
      // `<` and `>` cannot end the frame's style element early: the text is written into it as it stands.
      if (css?.trim()) mailSheets.push(cleanCss(css, allowRemote, tally).replace(/<\/style/gi, ''));
    }
  };
  const onAttributes = (node: Element) => {
    if (!('getAttribute' in node)) return;
    for (const name of LOADING_ATTRS) {
      const value = node.getAttribute(name);
      if (value === null) continue;
      const context = loadingContext(node, name);
      const urls = name.endsWith('srcset') ? value.split(',').map((c) => c.trim().split(/\s+/)[0] ?? '') : [value];
      const verdicts = urls.map((u) => classify(u, context));
      if (verdicts.every((v) => v === 'local')) continue;
      // A srcset is one reference: the browser loads one of its candidates.
      const stays =
        verdicts.every((v) => v !== 'dropped') &&
        tallyRemote(
          urls.filter((_, i) => verdicts[i] === 'remote'),
          allowRemote,
          tally,
        );
      if (!stays) {
        node.removeAttribute(name);
        if (node.nodeName === 'IMG') node.setAttribute('alt', node.getAttribute('alt') || '');
      }
    }
    const tag = node.nodeName;
    for (const name of ['href', 'xlink:href']) {
      const value = node.getAttribute(name);
      if (value === null) continue;
      if (tag === 'A' || tag === 'AREA' || tag === 'a') {
        if (!isSafeLink(value)) node.removeAttribute(name);
        else {
          node.setAttribute('rel', 'noopener noreferrer');
          node.setAttribute('title', value.trim());
        }
        continue;
      }
      // <image href> loads an image; <use>, <pattern>, gradients... name other elements, which Chromium
      // takes from the same document only: a fragment stays, the rest goes.
      const v = classify(value, tag === 'image' || tag === 'feImage' ? 'image' : 'never');
      if (v === 'local' || (v === 'remote' && tallyRemote([value], allowRemote, tally))) continue;
      node.removeAttribute(name);
    }
    for (const name of SVG_REFERENCE_PROPERTIES) {
      const value = node.getAttribute(name);
      if (value === null || !/url|image-set|\\/i.test(value)) continue;
      // The same rules as the CSS property of that name.
      const cleaned = cleanCss(`${name}:${value}`, allowRemote, tally);
      if (cleaned !== `${name}:${value}`) node.removeAttribute(name);
    }
    const style = inlineStyles.get(node);
    if (style !== undefined) {
      const cleaned = cleanCss(style, allowRemote, tally).replace(/[{}<>]/g, '');
      if (cleaned.trim()) {
        const id = String(styleRules.length);
        node.setAttribute('data-sp-style', id);
        styleRules.push(`${`[data-sp-style="${id}"]`.repeat(STYLE_SPECIFICITY)}{${cleaned}}`);
      }
    }
  };

  const config: Config = {
    FORBID_TAGS,
    FORBID_ATTR,
    ADD_TAGS: ['style'],
    FORCE_BODY: true,
    WHOLE_DOCUMENT: false,
    ALLOW_UNKNOWN_PROTOCOLS: false,
    RETURN_DOM: false,
    RETURN_DOM_FRAGMENT: false,
  };
  purify.addHook('uponSanitizeElement', onElement);
  purify.addHook('uponSanitizeAttribute', onAttribute);
  purify.addHook('afterSanitizeAttributes', onAttributes);
  try {
    const parts = typeof html === 'string' ? [html] : html;
    const clean = parts
      .map((part) => {
        sheets = [];
        return String(purify.sanitize(neutralizeBeforeParsing(part, sheets), config));
      })
      .join('\n');
    const rules = [...mailSheets, ...styleRules];
    const moved = rules.length > 0 ? `<style>${rules.join('\n')}</style>` : '';
    return { html: moved + clean, blockedRemote: tally.blocked, allowedRemote: tally.allowed, remoteUrls: [...tally.urls] };
  } finally {
    purify.removeHook('uponSanitizeElement', onElement);
    purify.removeHook('uponSanitizeAttribute', onAttribute);
    purify.removeHook('afterSanitizeAttributes', onAttributes);
  }
}

/** The frame's own policy (as main's messageFrameCsp): nothing loads but inline styles, data: images and fonts, and https: images with consent. */
export function frameCsp(allowRemote: boolean): string {
  return `default-src 'none'; style-src 'unsafe-inline'; img-src data:${allowRemote ? ' https:' : ''}; font-src data:`;
}

/** The document main serves for the reader's `<iframe sandbox>` (`mail.frame`). `sanitizedBody` must come from sanitizeMailHtml. */
export function frameDocument(sanitizedBody: string, allowRemote: boolean): string {
  return [
    '<!doctype html><html><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${frameCsp(allowRemote)}">`,
    '<meta name="referrer" content="no-referrer">',
    '<meta name="color-scheme" content="light">',
    '<style>html{background:#fff;color:#1c1e21}body{margin:0;padding:12px;font-family:system-ui,sans-serif;overflow-wrap:anywhere}img{max-width:100%;height:auto}</style>',
    '</head><body>',
    sanitizedBody,
    '</body></html>',
  ].join('');
}
