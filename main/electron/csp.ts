/**
 * The renderer's Content Security Policy, sent as a response header with
 * every app:// document. Everything is denied except the app's own scripts,
 * styles, images and fonts: no inline script or style, no eval, no network
 * (connect-src 'none'; the renderer reaches the world only through the
 * contract), no frames, no plugins, no <base>, no form posts.
 *
 * Svelte 5 and Vite's output need nothing more: scripts are external ES
 * modules, component CSS is extracted to a file, and the templates carry no
 * style attributes. Frames only from the app itself: the reader's message
 * frame (`app://…/message/<id>`, main/services/message-frames.ts), which has
 * a policy of its own and an empty sandbox.
 */
export const CSP_DIRECTIVES: Readonly<Record<string, readonly string[]>> = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'none'"],
  'frame-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
};

export function buildCsp(directives: Readonly<Record<string, readonly string[]>> = CSP_DIRECTIVES): string {
  return Object.entries(directives)
    .map(([name, sources]) => `${name} ${sources.join(' ')}`)
    .join('; ');
}

export const CONTENT_SECURITY_POLICY = buildCsp();

/** Headers for every app:// response. */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}
