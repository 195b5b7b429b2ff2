import { readFile, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { APP_HOST, APP_SCHEME } from './sender.ts';
import { MESSAGE_FRAME_PATH, type MessageFrames } from '../services/message-frames.ts';
import { securityHeaders } from './csp.ts';

/**
 * The app:// scheme: the renderer's files from dist/renderer, nothing else.
 * Registered as privileged (before the app is ready) so that it is a secure,
 * standard origin ('self' in the CSP means app://sealpost) and ES modules load.
 */
export const APP_SCHEME_PRIVILEGES = {
  scheme: APP_SCHEME,
  privileges: {
    standard: true,
    secure: true,
    // Left off on purpose: corsEnabled would let any other origin (a mail-content frame, a page that
    // got in) read app:// responses cross-origin. The renderer's own module scripts and stylesheet
    // are same-origin CORS requests, which a standard scheme serves without it.
    corsEnabled: false,
    supportFetchAPI: false, // the renderer does not fetch (connect-src 'none'); it calls the contract
    bypassCSP: false,
    allowServiceWorkers: false,
    stream: false,
    codeCache: true,
  },
} as const;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

export function mimeTypeFor(path: string): string {
  return MIME[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file an app:// URL names inside `root`, or null when the request must
 * be refused: another scheme or host, a malformed escape, a NUL, a
 * backslash, a `..` segment (raw or percent-encoded), an absolute or drive
 * path, or anything that would resolve outside `root`. `/` is index.html.
 */
export function resolveAppPath(root: string, url: string): string | null {
  const prefix = `${APP_SCHEME}://${APP_HOST}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST || parsed.username || parsed.password) return null;
  // The URL parser folds `..` and drops tabs and newlines: the raw text is checked as well.
  if (!url.toLowerCase().startsWith(prefix)) return null;
  const rawPath = url.slice(prefix.length).split(/[?#]/, 1)[0] ?? '';

  const paths: string[] = [];
  try {
    paths.push(decodeURIComponent(parsed.pathname), decodeURIComponent(rawPath));
  } catch {
    return null; // malformed percent-encoding
  }
  for (const p of paths) {
    if (p.includes('\0') || p.includes('\\') || /[\t\r\n]/.test(p)) return null;
    if (p.split('/').some((s) => s === '..' || s === '.')) return null;
  }
  const decoded = paths[0] || '/'; // "app://sealpost" has an empty path
  if (!decoded.startsWith('/')) return null;
  const relativePath = decoded === '/' ? 'index.html' : decoded.slice(1);
  const segments = relativePath.split('/');
  // "//x" (absolute), "a//b", a trailing slash (a directory), a drive letter: refused.
  if (segments.some((s) => s === '') || /^[a-zA-Z]:/.test(relativePath) || isAbsolute(relativePath)) return null;

  const base = resolve(root);
  const target = resolve(base, ...segments);
  const rel = relative(base, target);
  if (rel === '' || isAbsolute(rel) || rel.split(sep).includes('..')) return null;
  return target;
}

function refuse(status: number, text: string): Response {
  return new Response(text, { status, headers: { ...securityHeaders(), 'Content-Type': 'text/plain; charset=utf-8' } });
}

/**
 * The protocol.handle handler for app://: GET and HEAD of regular files
 * under `root`, each answered with the CSP and the other security headers.
 */
export async function handleAppRequest(
  request: { url: string; method: string },
  root: string,
  frames?: Pick<MessageFrames, 'response'>,
): Promise<Response> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, 'Method not allowed');
  // The reader's HTML frames (main/services/message-frames.ts), each with its own policy instead of the page's.
  const pathname = URL.canParse(request.url) ? new URL(request.url).pathname : '';
  if (frames && pathname.startsWith(MESSAGE_FRAME_PATH)) {
    const frame = frames.response(pathname);
    if (!frame) return refuse(404, 'Not found');
    return new Response(request.method === 'HEAD' ? null : frame.body, { status: 200, headers: frame.headers });
  }
  const path = resolveAppPath(root, request.url);
  if (!path) return refuse(400, 'Bad request');
  try {
    const info = await stat(path);
    if (!info.isFile()) return refuse(404, 'Not found');
    const body = request.method === 'HEAD' ? null : await readFile(path);
    return new Response(body, {
      status: 200,
      headers: { ...securityHeaders(), 'Content-Type': mimeTypeFor(path), 'Content-Length': String(info.size) },
    });
  } catch {
    return refuse(404, 'Not found');
  }
}
