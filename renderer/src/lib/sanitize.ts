import type { Config, DOMPurify } from 'dompurify';

/**
 * HTML mail, made safe to show in the reader's frame: a pure function of a
 * DOMPurify instance (the renderer passes the one bound to its window; the
 * tests run it in Chromium, since DOMPurify needs a real DOM).
 *
 * Three layers keep a message inert, each enough on its own for scripts:
 *  1. this sanitizer: no scripts, no forms, no frames or plugins, no
 *     references that would load anything from off the message (src,
 *     srcset, background, poster, href of non-links, CSS url(), @import,
 *     image-set) unless the user allowed remote content for this message;
 *  2. the frame document's own CSP (frameDocument below);
 *  3. the iframe's empty sandbox (no scripts, no same origin, no popups,
 *     no top navigation), set by the reader component.
 */

export interface SanitizedMail {
  html: string;
  /** References to content off the message that were removed (0 when remote content was allowed). */
  blockedRemote: number;
  /** References that stay because remote content was allowed. */
  allowedRemote: number;
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
];
const FORBID_ATTR = ['action', 'formaction', 'ping', 'srcdoc', 'http-equiv', 'autofocus', 'target'];
/** Attributes whose value is loaded as soon as the element is shown. */
const LOADING_ATTRS = ['src', 'srcset', 'background', 'poster', 'lowsrc', 'dynsrc', 'data', 'imagesrcset'];

/** A URL that stays on the message: inline data, or a fragment of the document itself. */
function isLocal(url: string): boolean {
  const u = url.trim().toLowerCase();
  return u.startsWith('data:image/') || u.startsWith('#') || u === '';
}

function isHttps(url: string): boolean {
  return /^\s*https:\/\//i.test(url);
}

/** What a loading reference becomes: kept (local, or https with consent), or removed. */
function verdict(url: string, allowRemote: boolean): 'local' | 'remote-kept' | 'remote-blocked' {
  if (isLocal(url)) return 'local';
  return allowRemote && isHttps(url) ? 'remote-kept' : 'remote-blocked';
}

/** Links that may stay (they load nothing by being shown). */
function isSafeLink(url: string): boolean {
  return /^\s*(https?:|mailto:)/i.test(url) || url.trim().startsWith('#');
}

/**
 * CSS with every reference off the message removed: @import rules, url() and
 * image-set() that do not point to data: (or, with consent, to https:).
 */
export function cleanCss(
  css: string,
  allowRemote: boolean,
  counter: { blocked: number; allowed: number } = { blocked: 0, allowed: 0 },
): string {
  let out = css.replace(/\/\*[\s\S]*?\*\//g, ' ');
  // CSS escapes could spell "url(" in disguise: a style with backslash escapes is dropped whole.
  if (/\\/.test(out)) {
    counter.blocked += /url|import|image/i.test(out) ? 1 : 0;
    return '';
  }
  out = out.replace(/@import\b[^;]*;?/gi, () => {
    counter.blocked++;
    return '';
  });
  // Kept references are set aside while the rest is checked, then put back.
  const kept: string[] = [];
  const keep = (text: string) => `__sealpost_kept_${kept.push(text) - 1}__`;
  out = out.replace(/url\(\s*(['"]?)(.*?)\1\s*\)/gi, (whole, _q: string, target: string) => {
    const v = verdict(target, allowRemote);
    if (v === 'local') return keep(whole);
    if (v === 'remote-kept') {
      counter.allowed++;
      return keep(whole);
    }
    counter.blocked++;
    return 'none';
  });
  // image-set("a.png" 1x): strings load too. Kept only when every string in it is local.
  out = out.replace(/(?:-webkit-)?image-set\(([^)]*)\)/gi, (whole, inner: string) => {
    const targets = [...inner.matchAll(/(['"])(.*?)\1/g)].map((m) => m[2]!);
    if (targets.every((t) => isLocal(t))) return keep(whole);
    counter.blocked++;
    return 'none';
  });
  // Anything left that still looks like a reference (an unclosed url( or image-set( ...): refused.
  if (/url\s*\(|@import|image-set/i.test(out)) {
    counter.blocked++;
    return '';
  }
  // Put back in reverse order: a kept image-set holds kept url() tokens.
  for (let i = kept.length - 1; i >= 0; i--) out = out.replace(`__sealpost_kept_${i}__`, () => kept[i]!);
  return out;
}

/** What inline style attributes are called while DOMPurify parses the mail (see renameStyleAttributes). */
const RENAMED_STYLE = 'data-sp-inline-style';

/**
 * Renames `style=` attributes in start tags before the mail is parsed: even in
 * DOMPurify's inert document, Chromium checks a parsed style attribute against
 * the app page's policy and reports a violation. A tag this misses (a `>`
 * inside an earlier attribute value) keeps its style attribute: the hook below
 * still moves it, at the cost of one console report.
 */
function renameStyleAttributes(html: string): string {
  return html.replace(/<[a-zA-Z][^<>]*>/g, (tag) => tag.replace(/(\s)style(\s*=)/gi, `$1${RENAMED_STYLE}$2`));
}

/** How often the attribute selector of a moved inline style is repeated: enough specificity to win over the mail's own class rules. */
const STYLE_SPECIFICITY = 8;

export function sanitizeMailHtml(purify: DOMPurify, html: string, options: SanitizeOptions): SanitizedMail {
  const counter = { blocked: 0, allowed: 0 };
  const { allowRemote } = options;
  // Inline style attributes are moved into one <style> element of the frame: setting a style attribute here,
  // in the app page, is refused by the page's own policy (style-src 'self'); the frame's policy allows styles.
  const inlineStyles = new WeakMap<Node, string>();
  const styleRules: string[] = [];
  const onAttribute = (node: Element, data: { attrName: string; attrValue: string; keepAttr: boolean }) => {
    if (data.attrName !== 'style' && data.attrName !== RENAMED_STYLE) return;
    inlineStyles.set(node, data.attrValue);
    data.keepAttr = false;
  };

  const onElement = (node: Node) => {
    if (node.nodeName === 'STYLE' && node.textContent) node.textContent = cleanCss(node.textContent, allowRemote, counter);
  };
  const onAttributes = (node: Element) => {
    if (!('getAttribute' in node)) return;
    for (const name of LOADING_ATTRS) {
      const value = node.getAttribute(name);
      if (value === null) continue;
      if (name === 'srcset' || name === 'imagesrcset') {
        const urls = value.split(',').map((c) => c.trim().split(/\s+/)[0] ?? '');
        const verdicts = urls.map((u) => verdict(u, allowRemote));
        if (verdicts.includes('remote-blocked')) {
          counter.blocked++;
          node.removeAttribute(name);
        } else if (verdicts.includes('remote-kept')) counter.allowed++;
        continue;
      }
      const v = verdict(value, allowRemote);
      if (v === 'remote-blocked') {
        counter.blocked++;
        node.removeAttribute(name);
        if (node.nodeName === 'IMG') node.setAttribute('alt', node.getAttribute('alt') || '');
      } else if (v === 'remote-kept') counter.allowed++;
    }
    const tag = node.nodeName;
    for (const name of ['href', 'xlink:href']) {
      const value = node.getAttribute(name);
      if (value === null) continue;
      if (tag === 'A' || tag === 'AREA') {
        if (!isSafeLink(value)) node.removeAttribute(name);
        else {
          node.setAttribute('rel', 'noopener noreferrer');
          node.setAttribute('title', value.trim());
        }
      } else if (!value.trim().startsWith('#')) {
        // <image href>, <use href> and the like load what they name: only fragments of the message stay.
        counter.blocked++;
        node.removeAttribute(name);
      }
    }
    const style = inlineStyles.get(node);
    if (style !== undefined) {
      const cleaned = cleanCss(style, allowRemote, counter).replace(/[{}<>]/g, '');
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
    const clean = String(purify.sanitize(renameStyleAttributes(html), config));
    const moved = styleRules.length > 0 ? `<style>${styleRules.join('\n')}</style>` : '';
    return { html: moved + clean, blockedRemote: counter.blocked, allowedRemote: counter.allowed };
  } finally {
    purify.removeHook('uponSanitizeElement', onElement);
    purify.removeHook('uponSanitizeAttribute', onAttribute);
    purify.removeHook('afterSanitizeAttributes', onAttributes);
  }
}

/** The frame's own policy: nothing loads but inline styles and data: images, and https: images with consent. */
export function frameCsp(allowRemote: boolean): string {
  return `default-src 'none'; style-src 'unsafe-inline'; img-src data:${allowRemote ? ' https:' : ''}`;
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
