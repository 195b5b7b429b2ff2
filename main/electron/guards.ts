import type { BrowserWindow, Dialog, Session, Shell, WebContents } from 'electron';
import { MESSAGE_FRAME_PATH } from '../services/message-frames.ts';
import { APP_ORIGIN } from './sender.ts';

/** The reader's message frame (`app://sealpost/message/<id>`), the only subframe the app navigates to. */
export function isMessageFrameUrl(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const u = new URL(url);
  // `URL.origin` is "null" for a scheme Node's URL does not know as special: compare scheme and host.
  return `${u.protocol}//${u.host}` === APP_ORIGIN && u.pathname.startsWith(MESSAGE_FRAME_PATH) && u.search === '' && u.hash === '';
}

/** An http(s) link the user may choose to open in their browser; anything else is never opened. */
export function externalLink(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return null;
  if (parsed.username || parsed.password) return null; // "https://bank.example@evil.example/" misleads
  return parsed.href;
}

export interface GuardDeps {
  shell: Pick<Shell, 'openExternal'>;
  dialog: Pick<Dialog, 'showMessageBox'>;
  /** The window a confirmation is shown over. */
  windowFor(contents: WebContents): BrowserWindow | null;
}

/** Ask before leaving the app for a link; the link is shown in full. */
export async function confirmAndOpen(url: string, contents: WebContents, deps: GuardDeps): Promise<boolean> {
  const link = externalLink(url);
  if (!link) return false;
  const options = {
    type: 'question' as const,
    buttons: ['Open in browser', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    noLink: true,
    title: 'Open link',
    message: 'Open this link in your web browser?',
    detail: link,
  };
  const owner = deps.windowFor(contents);
  const { response } = owner ? await deps.dialog.showMessageBox(owner, options) : await deps.dialog.showMessageBox(options);
  if (response !== 0) return false;
  await deps.shell.openExternal(link);
  return true;
}

type GuardedContents = Pick<WebContents, 'on' | 'setWindowOpenHandler'>;

/**
 * Every web contents the app creates: no navigation away from the app's page
 * (in place, by redirect, or in a frame), no new windows (an http(s) link
 * goes to the browser after the user confirms), no <webview>.
 */
export function guardWebContents(contents: GuardedContents, deps: GuardDeps): void {
  const deny = (event: { preventDefault(): void }) => event.preventDefault();
  // A link followed in place: refused; an http(s) one may go to the browser, after the user confirms.
  contents.on('will-navigate', (event: { preventDefault(): void; url: string }) => {
    event.preventDefault();
    if (externalLink(event.url)) void confirmAndOpen(event.url, contents as WebContents, deps).catch(() => {});
  });
  // Any frame (the main frame is covered above; this adds subframes), and redirects. The one frame the
  // app loads is the reader's message frame, from its own origin (main/services/message-frames.ts).
  contents.on('will-frame-navigate', (event: { preventDefault(): void; url: string; isMainFrame: boolean }) => {
    if (event.isMainFrame || !isMessageFrameUrl(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', deny);
  contents.on('will-attach-webview', deny);
  contents.setWindowOpenHandler(({ url }) => {
    if (externalLink(url)) void confirmAndOpen(url, contents as WebContents, deps).catch(() => {});
    return { action: 'deny' };
  });
}

/** Camera, microphone, notifications, geolocation, clipboard reads, HID, USB, serial...: all denied. */
export function denyAllPermissions(
  session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler' | 'setDevicePermissionHandler'>,
): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}
