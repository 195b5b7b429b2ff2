import type { App } from 'electron';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mailtoArguments, parseMailto, type ComposeRequest } from './mailto.ts';

/**
 * mailto: links the system hands to the app, wherever they arrive from:
 * `open-url` on macOS (possibly before the app is ready), the command line
 * of the first start, or the command line of a second start that the
 * single-instance lock turned into `second-instance` (Windows, Linux).
 * Links that arrive before the window has loaded wait here; the parser
 * (mailto.ts) decides what of a link is taken.
 */
export class MailtoLinks {
  static readonly MAX_PENDING = 10;
  readonly #pending: ComposeRequest[] = [];
  #deliver: ((request: ComposeRequest) => void) | null = null;

  /** Takes a link (anything that is not a mailto: URL is ignored); returns whether it was one. */
  add(url: unknown): boolean {
    const request = parseMailto(url);
    if (!request) return false;
    if (this.#deliver) this.#deliver(request);
    else if (this.#pending.length < MailtoLinks.MAX_PENDING) this.#pending.push(request);
    return true;
  }

  /** The mailto: URLs of a command line. */
  addArguments(argv: readonly unknown[]): void {
    for (const url of mailtoArguments(argv)) this.add(url);
  }

  /** From now on links go to `deliver`; the ones that waited go first, in order. */
  attach(deliver: (request: ComposeRequest) => void): void {
    this.#deliver = deliver;
    for (const request of this.#pending.splice(0)) deliver(request);
  }
}

/** macOS sends `open-url` as early as the launch itself: listen before the app is ready. */
export function listenForOpenUrl(app: Pick<App, 'on'>, links: MailtoLinks): void {
  app.on('open-url', (event, url) => {
    event.preventDefault();
    links.add(url);
  });
}

const REGISTERED_MARKER = 'mailto-registered';

/**
 * Offers the app as the system's mail program, once: on the first start of
 * the packaged app (a development run would register the bare Electron
 * binary). Not on every start, so that a later choice of another mail
 * program in the system's settings stands. On Windows the link is passed
 * after `--`, so that a crafted link can never be read as a Chromium switch
 * (the path and arguments are used on Windows only; macOS and Linux take
 * the scheme from Info.plist and the desktop entry).
 */
export function registerMailtoClient(
  app: Pick<App, 'isPackaged' | 'setAsDefaultProtocolClient'>,
  profile: string,
  execPath: string = process.execPath,
): boolean {
  if (!app.isPackaged) return false;
  const marker = join(profile, REGISTERED_MARKER);
  if (existsSync(marker)) return false;
  const done = app.setAsDefaultProtocolClient('mailto', execPath, ['--']);
  if (done) {
    try {
      mkdirSync(profile, { recursive: true, mode: 0o700 });
      writeFileSync(marker, `${new Date().toISOString()}\n`, { mode: 0o600 });
    } catch {
      // asked again on the next start; nothing else depends on it
    }
  }
  return done;
}
