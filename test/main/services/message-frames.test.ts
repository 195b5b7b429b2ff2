// The reader's HTML frames: served from the page's origin with a policy of
// their own (not the page's), only while they are fresh, only by their id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRAME_TTL_MS, MAX_FRAMES, MessageFrames, messageFrameCsp } from '../../../main/services/message-frames.ts';
import { handleAppRequest } from '../../../main/electron/app-protocol.ts';

test('a frame is served at its URL with its own policy; remote images only with consent', () => {
  const frames = new MessageFrames('app://sealpost');
  const url = frames.put('<p>hello</p>', false);
  assert.match(url, /^app:\/\/sealpost\/message\/[A-Za-z0-9_-]{24}$/);
  const served = frames.response(new URL(url).pathname)!;
  assert.equal(served.body, '<p>hello</p>');
  assert.equal(served.headers['Content-Type'], 'text/html; charset=utf-8');
  assert.equal(served.headers['Content-Security-Policy'], messageFrameCsp(false));
  assert.match(messageFrameCsp(false), /default-src 'none'; style-src 'unsafe-inline'; img-src data:;/);
  assert.match(messageFrameCsp(false), /sandbox/);
  assert.doesNotMatch(messageFrameCsp(false), /https:|script-src/);
  assert.match(messageFrameCsp(true), /img-src data: https:;/);
  assert.doesNotMatch(messageFrameCsp(true), /script-src|connect-src https/);
});

test('unknown, malformed and expired ids, and other paths, are not served; old frames give way to new ones', () => {
  let now = 1_000;
  const frames = new MessageFrames(
    () => 'http://127.0.0.1:9',
    () => now,
  );
  const first = new URL(frames.put('a', false)).pathname;
  for (const bad of ['/message/', '/message/../index.html', '/message/AAAAAAAAAAAAAAAAAAAAAAAA', '/index.html', `${first}x`]) {
    assert.equal(frames.response(bad), null, bad);
  }
  now += FRAME_TTL_MS;
  assert.equal(frames.response(first), null, 'expired');
  const paths = Array.from({ length: MAX_FRAMES + 1 }, (_, i) => new URL(frames.put(String(i), false)).pathname);
  assert.equal(frames.response(paths[0]!), null, 'the oldest gave way');
  assert.equal(frames.response(paths.at(-1)!)!.body, String(MAX_FRAMES));
  frames.clear();
  assert.equal(frames.response(paths.at(-1)!), null);
});

test('app:// serves frames under /message/ with their policy, and files with the page policy', async () => {
  const root = mkdtempSync(join(tmpdir(), 'sealpost-frames-'));
  try {
    const frames = new MessageFrames('app://sealpost');
    const url = frames.put('<b>x</b>', true);
    const res = await handleAppRequest({ url, method: 'GET' }, root, frames);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '<b>x</b>');
    assert.equal(res.headers.get('content-security-policy'), messageFrameCsp(true));
    const missing = await handleAppRequest({ url: 'app://sealpost/message/AAAAAAAAAAAAAAAAAAAAAAAA', method: 'GET' }, root, frames);
    assert.equal(missing.status, 404);
    const post = await handleAppRequest({ url, method: 'POST' }, root, frames);
    assert.equal(post.status, 405);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
