// The built app in Chromium, on a fresh profile, over the test bridge to the
// real dispatcher, keyring worker and mail service: it boots under its own
// CSP, `window.sealpost` is `call` and `on` and nothing else, calls and
// events cross both ways (bytes too), and a page without the host's token
// reaches nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { SealpostBridge } from '../../app/ipc/contract.ts';
import { chromiumUnavailable, launchChromium, openPage, screenshot } from '../support/browser.ts';
import { DEFAULT_RENDERER_DIR, startTestHost, type TestHost } from '../support/host/host.ts';

declare global {
  interface Window {
    readonly sealpost?: SealpostBridge;
  }
}

const skip = chromiumUnavailable();

describe('the app in Chromium over the test bridge', { skip: skip ?? false, timeout: 120_000 }, () => {
  let browser: Browser | undefined;
  let host: TestHost | undefined;

  before(async () => {
    assert.ok(existsSync(join(DEFAULT_RENDERER_DIR, 'index.html')), 'no built renderer in dist/renderer: run `npm run build` first');
    const started = await Promise.allSettled([startTestHost({ backgroundIntervalMs: null }), launchChromium()]);
    if (started[0].status === 'fulfilled') host = started[0].value;
    if (started[1].status === 'fulfilled') browser = started[1].value;
    for (const s of started) if (s.status === 'rejected') throw s.reason;
  });

  after(async () => {
    try {
      await browser?.close();
    } finally {
      await host?.close();
    }
  });

  test('boots on a fresh profile with the bridge and shows its first screen', { timeout: 30_000 }, async (t) => {
    const { page, cspViolations } = await openPage(browser!, t);
    await page.goto(host!.url);
    assert.equal(await page.title(), 'Sealpost');

    const shape = await page.evaluate(() => {
      const bridge = window.sealpost as unknown as Record<string, unknown>;
      const descriptor = Object.getOwnPropertyDescriptor(window, 'sealpost');
      return {
        keys: Object.getOwnPropertyNames(bridge).sort(),
        types: [typeof bridge.call, typeof bridge.on],
        frozen: Object.isFrozen(bridge),
        writable: descriptor?.writable,
        href: location.href,
      };
    });
    assert.deepEqual(shape.keys, ['call', 'on']);
    assert.deepEqual(shape.types, ['function', 'function']);
    assert.equal(shape.frozen, true);
    assert.equal(shape.writable, false);
    assert.ok(!shape.href.includes(host!.token), 'the token is taken out of the address before the app runs');

    const listed = await page.evaluate(() => window.sealpost!.call('keys.list', {}));
    assert.deepEqual(listed, { ok: true, value: [] });

    // The app mounted something (whatever its first screen is now) and did not fall back to its fatal message.
    await page.waitForFunction(() => (document.getElementById('app')?.childElementCount ?? 0) > 0);
    assert.equal(await page.locator('.fatal').count(), 0);
    await page.locator('h1, h2').first().waitFor({ state: 'visible' });
    assert.ok(host!.bridgeStats().open >= 1);
    await screenshot(page, 'smoke-first-screen');
    assert.deepEqual(cspViolations, []);
  });

  test('a key generated through the bridge is listed, and keyring.changed reaches the page', { timeout: 60_000 }, async (t) => {
    const { page } = await openPage(browser!, t);
    await page.goto(host!.url);
    const outcome = await page.evaluate(async () => {
      const bridge = window.sealpost!;
      const changed = new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no keyring.changed within 20 s')), 20_000);
        const off = bridge.on('keyring.changed', (payload) => {
          clearTimeout(timer);
          off();
          resolve(payload);
        });
      });
      const generated = await bridge.call('keys.generate', {
        name: 'Smoke Test',
        email: 'smoke@example.test',
        expiresInSeconds: null,
        passphrase: null,
      });
      const event = await changed;
      const listed = await bridge.call('keys.list', {});
      const secret = await bridge.call('keys.list', { secret: true });
      return { generated, event, listed, secret };
    });
    assert.ok(outcome.generated.ok, JSON.stringify(outcome.generated));
    const fingerprint = outcome.generated.value.fingerprint;
    assert.deepEqual(outcome.event, { fingerprints: [fingerprint] });
    assert.ok(outcome.listed.ok && outcome.listed.value.some((k) => k.fingerprint === fingerprint));
    assert.ok(outcome.secret.ok && outcome.secret.value.some((k) => k.fingerprint === fingerprint));
    assert.ok(host!.events.some((e) => e.event === 'keyring.changed'));
    assert.deepEqual(host!.badEvents, []);
    await screenshot(page, 'smoke-after-generate');
  });

  test('bytes cross the bridge: an exported key imported back from a Uint8Array; bad input is a value', { timeout: 30_000 }, async (t) => {
    const { page } = await openPage(browser!, t);
    await page.goto(host!.url);
    const outcome = await page.evaluate(async () => {
      const bridge = window.sealpost!;
      const listed = await bridge.call('keys.list', {});
      if (!listed.ok || !listed.value[0]) throw new Error('no key to export');
      const exported = await bridge.call('keys.export', { query: listed.value[0].fingerprint });
      if (!exported.ok) throw new Error('export failed');
      const data = new TextEncoder().encode(exported.value.armored);
      const imported = await bridge.call('keys.import', { data, source: 'file' });
      const notBytes = await bridge.call('keys.import', { data: 'not bytes' as unknown as Uint8Array, source: 'file' });
      const unknown = await bridge.call('no.such' as 'keys.list', {});
      const uncloneable = await bridge.call('keys.list', { secret: (() => true) as unknown as boolean }).then(
        () => 'sent',
        (e: unknown) => (e instanceof TypeError ? 'refused' : String(e)),
      );
      return { imported, notBytes, unknown, uncloneable, fingerprint: listed.value[0].fingerprint };
    });
    assert.ok(outcome.imported.ok, JSON.stringify(outcome.imported));
    assert.equal(outcome.imported.value.problems.length, 0);
    assert.ok(!outcome.notBytes.ok && outcome.notBytes.error.code === 'protocol-invalid');
    assert.ok(!outcome.unknown.ok && outcome.unknown.error.code === 'protocol-invalid');
    assert.equal(outcome.uncloneable, 'refused');
  });

  test('the page guard sees console errors and uncaught errors', { timeout: 30_000 }, async (t) => {
    const guarded = await openPage(browser!, t, { unchecked: true, allow: [/allowed noise/] });
    await guarded.page.goto(host!.url);
    await guarded.page.evaluate(() => {
      console.error('allowed noise');
      console.error('a console error');
      setTimeout(() => {
        throw new Error('an uncaught error');
      });
    });
    const deadline = Date.now() + 5_000;
    while (guarded.problems.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      guarded.problems.map((p) => p.kind),
      ['console', 'pageerror'],
    );
    assert.throws(() => guarded.assertClean(), /2 problem\(s\)/);
  });

  test('a page without the right token reaches nothing; the CSP holds', { timeout: 30_000 }, async (t) => {
    const before = host!.bridgeStats();
    const guarded = await openPage(browser!, t, { unchecked: true });
    const { page } = guarded;
    await page.goto(host!.urlWithToken('not-the-token'));
    const refused = await page.evaluate(() =>
      window.sealpost!.call('keys.list', {}).then(
        (r) => `answered ${JSON.stringify(r)}`,
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      ),
    );
    assert.match(refused, /bridge to the test host is closed/);
    assert.equal(host!.bridgeStats().accepted, before.accepted, 'no connection accepted');
    assert.equal(host!.bridgeStats().refused, before.refused + 1);

    // No token at all: nothing is even tried.
    await page.goto(`${host!.origin}/`);
    await page.evaluate(() => sessionStorage.clear());
    await page.reload();
    const none = await page.evaluate(() =>
      window.sealpost!.call('keys.list', {}).then(
        () => 'answered',
        (e: unknown) => String(e),
      ),
    );
    assert.match(none, /no bridge token/);

    // The policy is the app's: no network besides the bridge, no inline script. Each attempt is a reported violation.
    const blocked = await page.evaluate(async (origin) => {
      const fetched = await fetch(`${origin}/index.html`).then(
        () => 'fetched',
        () => 'blocked',
      );
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
      return { fetched, inline: (window as unknown as { inlineRan?: boolean }).inlineRan === true };
    }, host!.origin);
    assert.deepEqual(blocked, { fetched: 'blocked', inline: false });
    await page.waitForFunction(() => true);
    const deadline = Date.now() + 5_000;
    while (guarded.cspViolations.filter((v) => v.startsWith('[csp-violation]')).length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const reported = guarded.cspViolations.filter((v) => v.startsWith('[csp-violation]'));
    assert.ok(
      reported.some((v) => v.includes('connect-src')),
      reported.join('\n'),
    );
    assert.ok(
      reported.some((v) => v.includes('script-src')),
      reported.join('\n'),
    );
    // Only what this test provoked went wrong.
    const unexpected = guarded.problems.filter(
      (p) => !/WebSocket|bridge|connect-src|script-src|Content Security Policy|Failed to fetch/i.test(p.text),
    );
    assert.deepEqual(unexpected, []);
  });
});
