// The app session's request filter (main/services/frame-requests.ts), the
// wall behind the message frame's CSP: a message frame loads its own
// document, and with consent the remote URLs the sanitizer counted for it,
// and nothing else; the app page loads only from the app's origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowSessionRequest, messageFramePath, type SessionRequest } from '../../../main/services/frame-requests.ts';
import { MAX_REMOTE_URLS, MessageFrames } from '../../../main/services/message-frames.ts';

const ORIGIN = 'app://sealpost';
const PAGE = `${ORIGIN}/index.html`;

function setup() {
  const frames = new MessageFrames(ORIGIN);
  const blocked = frames.put('<p>no consent</p>', false, ['https://img.example/a.png']);
  const allowed = frames.put('<p>consent</p>', true, [
    'https://img.example/a.png',
    'https://IMG.example/b%20c.png#frag',
    'http://img.example/http.png',
  ]);
  const allow = (url: string, frameUrl: string | null, resourceType = 'image') =>
    allowSessionRequest({ url, frameUrl, resourceType } satisfies SessionRequest, frames, ORIGIN);
  return { frames, blocked, allowed, allow };
}

test('a message frame document: only as a subframe navigation, only while main holds it', () => {
  const { frames, blocked, allowed, allow } = setup();
  assert.equal(allow(blocked, PAGE, 'subFrame'), true);
  assert.equal(allow(allowed, PAGE, 'subFrame'), true);
  assert.equal(allow(allowed, blocked, 'subFrame'), true, 'the iframe moving from one message to the next');
  assert.equal(allow(`${ORIGIN}/message/AAAAAAAAAAAAAAAAAAAAAAAA`, PAGE, 'subFrame'), false, 'unknown frame');
  assert.equal(allow(allowed, PAGE, 'xhr'), false, 'fetched, not framed');
  assert.equal(allow(allowed, PAGE, 'mainFrame'), false, 'the window itself onto a message');
  frames.clear();
  assert.equal(allow(allowed, PAGE, 'subFrame'), false, 'forgotten');
});

test('a frame without consent loads nothing; with consent exactly the counted https URLs', () => {
  const { blocked, allowed, allow } = setup();
  assert.equal(allow('https://img.example/a.png', blocked), false, 'listed, but the user did not allow remote content');
  assert.equal(allow('https://img.example/a.png', allowed), true);
  assert.equal(allow('https://img.example/b%20c.png', allowed), true, 'compared normalized, without the fragment');
  assert.equal(allow('https://img.example/b%20c.png#other', allowed), true);
  assert.equal(allow('http://img.example/http.png', allowed), false, 'http: never, even listed');
  assert.equal(allow('https://img.example/a.png?x=1', allowed), false, 'not counted: not loaded');
  assert.equal(allow('https://tracker.example/pixel.png', allowed), false, 'a reference the sanitizer missed');
  assert.equal(allow(`${ORIGIN}/assets/index.js`, allowed), false, 'not even the app\u2019s own files');
  assert.equal(allow(`${ORIGIN}/message/AAAAAAAAAAAAAAAAAAAAAAAA`, allowed), false);
  assert.equal(allow('data:image/png;base64,AAAA', allowed), true, 'data: is the message itself');
  assert.equal(allow('https://img.example/a.png', `${ORIGIN}/message/AAAAAAAAAAAAAAAAAAAAAAAA`), false, 'a frame main no longer holds');
});

test('the app page and requests of unknown frames: the app origin, its blob: URLs and the developer tools only', () => {
  const { allow } = setup();
  assert.equal(allow(PAGE, null, 'mainFrame'), true);
  assert.equal(allow(`${ORIGIN}/assets/index.js`, PAGE, 'script'), true);
  assert.equal(allow(`blob:${ORIGIN}/5b1d6c6e-0000-4000-8000-000000000000`, PAGE, 'other'), true);
  assert.equal(allow('blob:https://evil.example/5b1d6c6e', PAGE, 'other'), false);
  assert.equal(allow('devtools://devtools/bundled/inspector.html', null, 'mainFrame'), true);
  for (const url of [
    'https://img.example/a.png',
    'http://example.org/',
    'file:///etc/passwd',
    'ws://127.0.0.1:1/',
    'app://other/index.html',
    'app://x@sealpost/',
  ]) {
    assert.equal(allow(url, PAGE), false, url);
    assert.equal(allow(url, null), false, `${url} from an unknown frame`);
  }
  assert.equal(allow('not a url', PAGE), false);
});

test('messageFramePath: the app origin and /message/ only', () => {
  assert.equal(messageFramePath(`${ORIGIN}/message/abc`, ORIGIN), '/message/abc');
  assert.equal(messageFramePath('https://sealpost/message/abc', ORIGIN), null);
  assert.equal(messageFramePath(`${ORIGIN}/index.html`, ORIGIN), null);
  assert.equal(messageFramePath('nonsense', ORIGIN), null);
});

test('MessageFrames keeps a frame\u2019s remote URLs only with consent, https: only, and a bounded number', () => {
  const frames = new MessageFrames(ORIGIN);
  const path = (url: string) => new URL(url).pathname;
  const none = frames.put('x', false, ['https://a.example/1.png']);
  assert.deepEqual([...frames.remoteUrlsOf(path(none))!], []);
  const some = frames.put('x', true, ['https://a.example/1.png#f', 'http://a.example/2.png', 'javascript:alert(1)', 'nonsense']);
  assert.deepEqual([...frames.remoteUrlsOf(path(some))!], ['https://a.example/1.png']);
  const many = frames.put(
    'x',
    true,
    Array.from({ length: MAX_REMOTE_URLS + 5 }, (_, i) => `https://a.example/${i}.png`),
  );
  assert.equal(frames.remoteUrlsOf(path(many))!.size, MAX_REMOTE_URLS);
  assert.equal(frames.remoteUrlsOf('/message/AAAAAAAAAAAAAAAAAAAAAAAA'), null);
  assert.equal(frames.remoteUrlsOf('/index.html'), null);
});
