/**
 * Debian's Chromium under Playwright, for the renderer's end-to-end tests
 * (the Electron binary is not available; see the design, "Runtime and
 * tooling"). Nothing is downloaded: the browser is /usr/bin/chromium from
 * the `chromium` package.
 *
 *   const reason = chromiumUnavailable();
 *   describe('...', { skip: reason ?? false }, () => { ... launchChromium() ... });
 *
 * `openPage` gives a page that fails the test on a console error, an
 * uncaught page error or a CSP violation; `screenshot` keeps a PNG under
 * test-artifacts/screenshots/.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOT_DIR = join(ROOT, 'test-artifacts/screenshots');

/** How long one browser action or wait may take by default. */
export const ACTION_TIMEOUT_MS = 10_000;
export const NAVIGATION_TIMEOUT_MS = 15_000;
const LAUNCH_TIMEOUT_MS = 30_000;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** null when Chromium can run here, else why not (the tests skip with it). */
export function chromiumUnavailable(): string | null {
  if (process.env.SEALPOST_NO_BROWSER) return 'SEALPOST_NO_BROWSER is set';
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return null;
  } catch {
    return `${CHROMIUM} is missing (install Debian's package: apt-get install -y chromium)`;
  }
}

export async function launchChromium(): Promise<Browser> {
  const reason = chromiumUnavailable();
  if (reason) throw new Error(`cannot launch Chromium: ${reason}`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: LAUNCH_TIMEOUT_MS });
}

/** What went wrong in a page: console errors, uncaught errors, CSP violations. */
export interface PageProblem {
  kind: 'console' | 'pageerror' | 'csp';
  text: string;
}

export interface OpenPageOptions {
  /** Problems matching one of these are expected (a refused bridge, a test's own error) and are not counted. */
  allow?: RegExp[];
  /** Do not register the end-of-test check (the caller checks `problems` itself). */
  unchecked?: boolean;
}

export interface GuardedPage {
  page: Page;
  context: BrowserContext;
  /** Everything unexpected so far. */
  problems: PageProblem[];
  /** The CSP violations alone (also in `problems`). */
  cspViolations: string[];
  /** Throws when anything unexpected happened (also done when the test ends). */
  assertClean(): void;
  close(): Promise<void>;
}

// Reported through console.error, which the page's console listener sees; Chromium's own
// "Refused to ..." console message is seen too, but this one names the directive for sure.
const CSP_PREFIX = '[csp-violation]';
const CSP_INIT_SCRIPT = `document.addEventListener('securitypolicyviolation', (e) => {
  console.error(${JSON.stringify(CSP_PREFIX)} + ' ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || '(inline)') + ' at ' + (e.sourceFile || '?') + ':' + e.lineNumber);
}, true);`;

function describeConsole(message: ConsoleMessage): string {
  const where = message.location();
  return `${message.text()}${where.url ? ` (${where.url}:${where.lineNumber})` : ''}`;
}

/**
 * A new context and page (its own storage), watched for problems. With a
 * test context, the page is closed and checked when the test ends: any
 * problem not allowed fails the test.
 */
export async function openPage(browser: Browser, t?: TestContext, options: OpenPageOptions = {}): Promise<GuardedPage> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 }, serviceWorkers: 'block' });
  context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(NAVIGATION_TIMEOUT_MS);
  await context.addInitScript({ content: CSP_INIT_SCRIPT });
  const page = await context.newPage();
  const problems: PageProblem[] = [];
  const cspViolations: string[] = [];
  const allowed = (text: string) => (options.allow ?? []).some((re) => re.test(text));
  const record = (kind: PageProblem['kind'], text: string) => {
    if (kind === 'csp') cspViolations.push(text);
    if (!allowed(text)) problems.push({ kind, text });
  };
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = describeConsole(message);
    record(text.startsWith(CSP_PREFIX) || /Content Security Policy/i.test(text) ? 'csp' : 'console', text);
  });
  page.on('pageerror', (error) => record('pageerror', error.stack ?? error.message));

  let closed = false;
  const guarded: GuardedPage = {
    page,
    context,
    problems,
    cspViolations,
    assertClean() {
      if (problems.length === 0) return;
      throw new Error(`the page reported ${problems.length} problem(s):\n${problems.map((p) => `  ${p.kind}: ${p.text}`).join('\n')}`);
    },
    async close() {
      if (closed) return;
      closed = true;
      await context.close().catch(() => undefined);
    },
  };
  if (t && !options.unchecked) {
    t.after(async () => {
      await guarded.close();
      guarded.assertClean();
    });
  } else if (t) {
    t.after(() => guarded.close());
  }
  return guarded;
}

/** A PNG of the page under test-artifacts/screenshots/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const safe =
    name
      .replace(/[^\w.-]+/g, '-')
      .replace(/^[-.]+/, '')
      .slice(0, 120) || 'page';
  const path = join(SCREENSHOT_DIR, `${safe}.png`);
  await page.screenshot({ path, fullPage: true, timeout: ACTION_TIMEOUT_MS });
  return path;
}
