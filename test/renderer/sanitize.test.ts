/**
 * The reader's HTML sanitizer (renderer/src/lib/sanitize.ts). DOMPurify
 * needs a real DOM, which Node does not have: the sanitizer is a pure
 * function of a DOMPurify instance, and it runs here in Chromium with the
 * same DOMPurify the app bundles. Skipped when /usr/bin/chromium is missing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { bundleRenderer } from '../support/renderer/bundle.ts';

const CHROMIUM = '/usr/bin/chromium';
const skip = !existsSync(CHROMIUM) && 'Chromium is not installed';
let browser: Browser;
let page: Page;

before(async () => {
  if (skip) return;
  const { code } = await bundleRenderer(
    {
      contents: [
        "import DOMPurify from 'dompurify';",
        "import { sanitizeMailHtml, cleanCss, frameDocument } from './lib/sanitize.ts';",
        'const purify = DOMPurify(window);',
        '(window as any).__sanitize = (html: string, allowRemote: boolean) => sanitizeMailHtml(purify, html, { allowRemote });',
        '(window as any).__cleanCss = (css: string, allowRemote: boolean) => cleanCss(css, allowRemote);',
        '(window as any).__frameDocument = frameDocument;',
      ].join('\n'),
    },
    'client',
    'browser',
  );
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  page = await browser.newPage();
  await page.route('**/*', (route) => route.abort()); // nothing may be fetched while sanitizing
  await page.setContent('<!doctype html><html><body></body></html>');
  await page.addScriptTag({ content: code });
});

after(async () => {
  await browser?.close();
});

interface Clean {
  html: string;
  blockedRemote: number;
  allowedRemote: number;
}

function sanitize(html: string, allowRemote = false): Promise<Clean> {
  return page.evaluate(([h, a]) => (window as any).__sanitize(h, a), [html, allowRemote] as const);
}

test('scripts, event handlers, javascript: links, forms, frames and plugins are removed', { skip }, async () => {
  const { html } = await sanitize(
    [
      '<p onclick="alert(1)">Hi <script>alert(2)</script><b>there</b></p>',
      '<img src="data:image/png;base64,AAAA" onerror="alert(3)">',
      '<a href="javascript:alert(4)">x</a>',
      '<form action="https://evil.example/post"><input name="password"><button formaction="https://evil.example">Go</button><textarea></textarea><select><option>1</option></select></form>',
      '<iframe src="https://evil.example"></iframe><object data="x.swf"></object><embed src="x.swf"><link rel="stylesheet" href="https://evil.example/a.css">',
      '<meta http-equiv="refresh" content="0;url=https://evil.example"><base href="https://evil.example/">',
      '<svg><script>alert(5)</script><a xlink:href="javascript:alert(6)"><text>t</text></a></svg>',
      '<math><mtext><table><mglyph><style><img src=x onerror=alert(7)>',
      '<audio src="https://evil.example/a.mp3"></audio><video poster="https://evil.example/p.png"></video>',
    ].join(''),
  );
  assert.match(html, /<b>there<\/b>/);
  for (const bad of [
    /<script/i,
    /onclick|onerror/i,
    /javascript:/i,
    /<form|<input|<button|<textarea|<select/i,
    /<iframe|<object|<embed|<link|<meta|<base/i,
    /evil\.example/,
    /<audio|<video/i,
  ]) {
    assert.doesNotMatch(html, bad);
  }
});

test(
  'remote references are removed and counted: src, srcset, background, poster, CSS url(), @import, image-set, svg href',
  { skip },
  async () => {
    const input = [
      '<img src="https://tracker.example/p.png" alt="pixel">',
      '<img src="http://plain.example/p.png">',
      '<img srcset="https://img.example/a.png 1x, https://img.example/b.png 2x">',
      '<table background="https://img.example/bg.png"><tr><td style="background-image: url(\'https://img.example/td.png\'); color: red">cell</td></tr></table>',
      '<div style="background: url(data:image/png;base64,AAAA)">inline data stays</div>',
      '<style>@import url("https://fonts.example/a.css"); p { color: blue; background: url(https://img.example/p.png) } h1 { background: image-set("https://img.example/h.png" 1x) }</style>',
      '<p style="background:u\\72l(https://img.example/escaped.png)">escaped</p>',
      '<svg><image href="https://img.example/i.svg"></image></svg>',
      '<img src="cid:part1@example">',
      '<a href="https://example.org/page">a link</a> <a href="mailto:bob@example.org">mail</a>',
    ].join('');
    const clean = await sanitize(input);
    assert.doesNotMatch(clean.html, /tracker\.example|plain\.example|img\.example|fonts\.example|cid:|@import/);
    assert.match(clean.html, /alt="pixel"/, 'the image stays, without its source');
    assert.match(clean.html, /color: red/, 'the rest of the style stays');
    assert.match(clean.html, /url\(data:image\/png;base64,AAAA\)/, 'data: URLs are part of the message');
    assert.match(clean.html, /<style>[^<]*color: blue[^<]*<\/style>/, 'the <style> stays, cleaned');
    assert.match(clean.html, /<a href="https:\/\/example.org\/page" rel="noopener noreferrer" title="https:\/\/example.org\/page">/);
    assert.match(clean.html, /<a href="mailto:bob@example.org"/);
    assert.ok(clean.blockedRemote >= 10, `blocked: ${clean.blockedRemote}`);
    assert.equal(clean.allowedRemote, 0);
  },
);

test('CSS: local references stay, unclosed or disguised ones take the whole rule with them', { skip }, async () => {
  const css = (text: string, allow = false) => page.evaluate(([t, a]) => (window as any).__cleanCss(t, a), [text, allow] as const);
  assert.equal(
    await css('a { background: image-set(url(data:image/png;base64,AA) 1x) }'),
    'a { background: image-set(url(data:image/png;base64,AA) 1x) }',
  );
  assert.equal(await css('a { background: image-set("https://evil.example/x.png" 1x) }'), 'a { background: none }');
  assert.equal(await css('a { background: image-set("https://evil.example/x.png" 1x'), '', 'unclosed: the browser would close it');
  assert.equal(await css('a { background: url(https://evil.example/x.png'), '');
  assert.equal(await css('a { background: u\\72l(https://evil.example/x.png) }'), '');
  assert.equal(await css('a { color: red } /* url(https://evil.example) */'), 'a { color: red }  ');
  assert.equal(await css('a { background: url("https://ok.example/x.png") }', true), 'a { background: url("https://ok.example/x.png") }');
});

test('with the user\u2019s consent, https images load (http and other schemes still do not)', { skip }, async () => {
  const clean = await sanitize(
    '<img src="https://img.example/a.png"><img src="http://img.example/b.png"><p style="background:url(https://img.example/c.png)">x</p><style>@import url(https://fonts.example/a.css);</style>',
    true,
  );
  assert.match(clean.html, /src="https:\/\/img.example\/a.png"/);
  assert.doesNotMatch(clean.html, /http:\/\/img.example/);
  assert.match(clean.html, /url\(https:\/\/img.example\/c.png\)/);
  assert.doesNotMatch(clean.html, /@import|fonts\.example/, '@import never (style-src of the frame allows no URL anyway)');
  assert.equal(clean.allowedRemote, 2);
  assert.ok(clean.blockedRemote >= 2);
});

test(
  'the frame document carries its own CSP: nothing but inline styles and data: images, https: images only with consent',
  { skip },
  async () => {
    const [blocked, allowed] = await page.evaluate(() => [
      (window as any).__frameDocument('<p>x</p>', false),
      (window as any).__frameDocument('<p>x</p>', true),
    ]);
    assert.match(
      blocked,
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/,
    );
    assert.match(allowed, /content="default-src 'none'; style-src 'unsafe-inline'; img-src data: https:"/);
    assert.match(blocked, /<meta name="referrer" content="no-referrer">/);
    assert.match(blocked, /<body><p>x<\/p><\/body>/);
  },
);

test('a sanitized message in a frame with an empty sandbox loads nothing and runs nothing', { skip }, async () => {
  const requests: string[] = [];
  const p = await browser.newPage();
  await p.route('**/*', (route) => {
    requests.push(route.request().url());
    return route.abort();
  });
  await p.setContent('<!doctype html><html><body></body></html>');
  const { code } = await bundleRenderer(
    {
      contents:
        "import DOMPurify from 'dompurify'; import { sanitizeMailHtml, frameDocument } from './lib/sanitize.ts'; (window as any).__doc = (h: string) => frameDocument(sanitizeMailHtml(DOMPurify(window), h, { allowRemote: false }).html, false);",
    },
    'client',
    'browser',
  );
  await p.addScriptTag({ content: code });
  await p.evaluate(() => {
    (window as any).ran = false;
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', '');
    frame.srcdoc = (window as any).__doc(
      '<img src="https://tracker.example/x.png"><p style="background:url(https://tracker.example/y.png)">hi</p><img src=x onerror="parent.ran=true"><svg onload="parent.ran=true"></svg>',
    );
    document.body.append(frame);
  });
  await p.waitForTimeout(300);
  assert.equal(await p.evaluate(() => (window as any).ran), false);
  assert.deepEqual(
    requests.filter((u) => /tracker\.example/.test(u)),
    [],
  );
  await p.close();
});
