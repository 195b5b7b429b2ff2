/**
 * Which requests the app's web session lets through: the second wall behind
 * the message frame's own CSP (main/services/message-frames.ts) and the
 * sanitizer (renderer/src/lib/sanitize.ts). The shell hands every request of
 * the session to `allowSessionRequest` (Electron's
 * `session.webRequest.onBeforeRequest`, wired in main/electron/shell.ts);
 * this module decides, without Electron, so that it can be tested alone.
 *
 * The message frame is an `<iframe>` of the app's window, and an iframe
 * cannot have a session of its own: it shares the window's. So requests are
 * told apart by the frame that makes them:
 *
 * - a message frame's document (`<origin>/message/<id>`): only as the
 *   navigation of a subframe, and only while main still holds that frame;
 * - anything a message frame asks for: only the remote URLs the sanitizer
 *   counted and kept for it, after the user allowed remote content for that
 *   message (`mail.frame` sends them). Nothing else: not the app's own
 *   files, not a URL the sanitizer missed, not a redirect elsewhere;
 * - anything else (the app page, or a request whose frame is not known):
 *   only the app's own origin, its blob: URLs (a key exported as a file),
 *   and the developer tools. The app page never fetches from the network
 *   (its CSP says connect-src 'none'); main's own connections (IMAP, SMTP,
 *   key lookups) go through Node, not this session.
 *
 * data: URLs are always let through: they carry their content with them.
 */
import { MESSAGE_FRAME_PATH, requestKey } from './message-frames.ts';

export interface SessionRequest {
  url: string;
  /** Electron's `resourceType` ('mainFrame', 'subFrame', 'image', 'stylesheet', ...). */
  resourceType: string;
  /** The URL of the frame that makes the request, or null when it is not known (the frame is gone). */
  frameUrl: string | null;
}

/** What the decision needs to know about the frames main serves. */
export interface FrameLookup {
  /**
   * The remote URLs a frame may load (empty without consent), or null when
   * main serves no frame at that path (unknown, expired, forgotten).
   */
  remoteUrlsOf(pathname: string): ReadonlySet<string> | null;
}

function parse(url: string): URL | null {
  return URL.canParse(url) ? new URL(url) : null;
}

/** `scheme://host` of a URL (Node's URL.origin is "null" for schemes it does not know as special, such as app:). */
function originOf(u: URL): string {
  return `${u.protocol}//${u.host}`;
}

/** The path of a message frame document on the app's origin, or null when the URL is not one. */
export function messageFramePath(url: string, appOrigin: string): string | null {
  const u = parse(url);
  if (!u || originOf(u) !== appOrigin || !u.pathname.startsWith(MESSAGE_FRAME_PATH) || u.username || u.password) return null;
  return u.pathname;
}

export function allowSessionRequest(request: SessionRequest, frames: FrameLookup, appOrigin: string): boolean {
  const target = parse(request.url);
  if (!target) return false;
  if (target.protocol === 'data:') return true;

  // The frame's own document, loaded by the app page into its iframe.
  const documentPath = messageFramePath(request.url, appOrigin);
  if (documentPath !== null) return request.resourceType === 'subFrame' && frames.remoteUrlsOf(documentPath) !== null;

  // A request from inside a message frame: the counted remote URLs, after consent, and nothing else.
  const framePath = request.frameUrl === null ? null : messageFramePath(request.frameUrl, appOrigin);
  if (framePath !== null) {
    const allowed = frames.remoteUrlsOf(framePath);
    const key = requestKey(request.url);
    return allowed !== null && key !== null && target.protocol === 'https:' && allowed.has(key);
  }

  // The app page (or a frame no longer known): the app's own origin only.
  if (originOf(target) === appOrigin && !target.username && !target.password) return true;
  if (target.protocol === 'blob:') {
    const inner = parse(target.pathname);
    return inner !== null && originOf(inner) === appOrigin;
  }
  return target.protocol === 'devtools:';
}
