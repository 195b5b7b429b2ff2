/** The renderer's own origin: the privileged app:// scheme with one host. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'sealpost';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** The parts of a WebFrameMain the check reads. */
export interface FrameLike {
  readonly url: string;
  readonly origin?: string;
  readonly parent: FrameLike | null;
}

/** The parts of an IpcMainInvokeEvent the check reads. */
export interface SenderEventLike {
  readonly senderFrame: FrameLike | null;
  readonly sender: { readonly mainFrame: FrameLike };
}

/** True when the URL is a page of the app itself (app://sealpost/...). */
export function isAppUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // WHATWG URL gives "null" as the origin of non-special schemes, so the parts are compared.
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
}

/**
 * A call is served only when it comes from the main frame of a window
 * showing the app's own page: not from a subframe (later: mail content),
 * not from a page that navigated elsewhere, not from file:// or http(s).
 */
export function isTrustedSender(event: SenderEventLike): boolean {
  const frame = event.senderFrame;
  if (!frame) return false; // the frame navigated or was destroyed meanwhile
  if (frame.parent !== null || frame !== event.sender.mainFrame) return false;
  if (!isAppUrl(frame.url)) return false;
  // Electron's serialized origin, when given, must agree (a frame's URL and origin can differ, e.g. about:blank).
  if (frame.origin !== undefined && frame.origin !== APP_ORIGIN) return false;
  return true;
}
