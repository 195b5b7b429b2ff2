/**
 * The reader's HTML frames, served by main from the app's own origin
 * (`<origin>/message/<id>`) with a Content-Security-Policy of their own.
 *
 * Why not `<iframe srcdoc>`: a srcdoc document inherits the policy of the
 * page that holds it (CSP3, policy container inheritance), so the app's
 * strict page policy (no inline styles, no remote images) would also apply
 * to the mail, and a user's "load remote content for this message" could not
 * work without widening the app page's own policy. A document fetched from a
 * URL has only its own policy. The frame still has an empty `sandbox`
 * attribute (an opaque origin: no scripts, no same-origin access, no popups,
 * no navigation of the app) and its response carries `sandbox` too.
 *
 * What is served is the document the renderer built from DOMPurify's output
 * (renderer/src/lib/sanitize.ts). Frames live in memory only (plaintext of
 * encrypted mail never goes to disk), a few at a time, and are forgotten
 * after a while.
 */
import { randomBytes } from 'node:crypto';

/** Most frames kept at once (the open message, and a few before it while the user moves on). */
export const MAX_FRAMES = 8;
/** A frame is forgotten after this long. */
export const FRAME_TTL_MS = 10 * 60_000;
export const MESSAGE_FRAME_PATH = '/message/';

/** The frame document's policy: nothing loads but inline styles and data: images and fonts, and https: images with consent. */
export function messageFrameCsp(allowRemote: boolean): string {
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `img-src data:${allowRemote ? ' https:' : ''}`,
    'font-src data:',
    "frame-ancestors 'self'",
    "form-action 'none'",
    "base-uri 'none'",
    'sandbox',
  ].join('; ');
}

/** A URL as it is compared with the allowed ones (frame-requests.ts): normalized, without its fragment (never sent). */
export function requestKey(url: string): string | null {
  if (!URL.canParse(url)) return null;
  const u = new URL(url);
  u.hash = '';
  return u.href;
}

interface Frame {
  document: string;
  allowRemote: boolean;
  /** What the frame may load from off the message (frame-requests.ts): the URLs the sanitizer kept, after consent. */
  remoteUrls: ReadonlySet<string>;
  expires: number;
}

/** Most remote URLs one frame may load (a message that names more loses the rest). */
export const MAX_REMOTE_URLS = 2000;

export class MessageFrames {
  readonly #origin: () => string;
  readonly #now: () => number;
  readonly #frames = new Map<string, Frame>();

  /** `origin`: the app page's origin (`app://sealpost` in the app; the test host's, known once it listens). */
  constructor(origin: string | (() => string), now: () => number = Date.now) {
    this.#origin = typeof origin === 'string' ? () => origin : origin;
    this.#now = now;
  }

  /**
   * Keeps the document and returns the URL the reader's iframe loads it from.
   * `remoteUrls`: what the sanitizer counted and kept with the user's consent;
   * the session lets the frame load these https: URLs and nothing else, and
   * none at all without consent.
   */
  put(document: string, allowRemote: boolean, remoteUrls: readonly string[] = []): string {
    this.#prune();
    while (this.#frames.size >= MAX_FRAMES) this.#frames.delete(this.#frames.keys().next().value!);
    const id = randomBytes(18).toString('base64url');
    const allowed = new Set<string>();
    if (allowRemote) {
      for (const url of remoteUrls.slice(0, MAX_REMOTE_URLS)) {
        const key = requestKey(url);
        if (key !== null && key.startsWith('https://')) allowed.add(key);
      }
    }
    this.#frames.set(id, { document, allowRemote, remoteUrls: allowed, expires: this.#now() + FRAME_TTL_MS });
    return `${this.#origin().replace(/\/$/, '')}${MESSAGE_FRAME_PATH}${id}`;
  }

  /** The response for a request path, or null when it names no frame (unknown, expired, malformed). */
  response(pathname: string): { body: string; headers: Record<string, string> } | null {
    const id = this.#idOf(pathname);
    if (id === null) return null;
    this.#prune();
    const frame = this.#frames.get(id);
    if (!frame) return null;
    return {
      body: frame.document,
      headers: {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': messageFrameCsp(frame.allowRemote),
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-store',
      },
    };
  }

  /** The remote URLs the frame at `pathname` may load, or null when no frame is served there (frame-requests.ts). */
  remoteUrlsOf(pathname: string): ReadonlySet<string> | null {
    const id = this.#idOf(pathname);
    if (id === null) return null;
    this.#prune();
    return this.#frames.get(id)?.remoteUrls ?? null;
  }

  /** Forgets every frame (the window closed, the keys were locked). */
  clear(): void {
    this.#frames.clear();
  }

  #idOf(pathname: string): string | null {
    if (!pathname.startsWith(MESSAGE_FRAME_PATH)) return null;
    const id = pathname.slice(MESSAGE_FRAME_PATH.length);
    return /^[A-Za-z0-9_-]{24}$/.test(id) ? id : null;
  }

  #prune(): void {
    const now = this.#now();
    for (const [id, frame] of this.#frames) if (frame.expires <= now) this.#frames.delete(id);
  }
}
