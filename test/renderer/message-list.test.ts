/**
 * The virtualized message list (renderer/src/lib/virtual-list.ts and
 * message-list.svelte.ts): window math, and a folder of 20,000 messages
 * of which only the visible rows exist and only their pages are fetched.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageItem } from '../../app/mail.ts';
import { fakeBridge, loadLib, until, type Lib } from '../support/renderer/bundle.ts';

let lib: Lib;
before(async () => {
  lib = await loadLib();
});

function item(folderId: number, n: number, flags: string[] = []): MessageItem {
  return {
    folderId,
    uid: String(20_000 - n),
    messageId: `<m${n}@example.org>`,
    from: { name: `Sender ${n}`, address: `s${n}@example.org` },
    to: [],
    cc: [],
    subject: `Message ${n}`,
    date: Date.UTC(2026, 0, 1) - n * 60_000,
    flags,
    security: n % 3 === 0 ? 'encrypted' : n % 3 === 1 ? 'signed' : 'none',
    size: 1000 + n,
  };
}

/** A folder of `total` messages served page by page, as main's store does. */
function folderBridge(total: () => number, removed = new Set<number>()) {
  return fakeBridge({
    'mail.messages': ({ folderId, offset, limit }: { folderId: number; offset: number; limit: number }) => {
      const all: MessageItem[] = [];
      for (let n = 0, i = 0; i < offset + limit && n < total() + removed.size; n++) {
        if (removed.has(n)) continue;
        if (i >= offset) all.push(item(folderId, n));
        i++;
      }
      return { total: total(), items: all };
    },
    'mail.read': () => ({ report: {}, html: null }),
  });
}

test('window math: only the rows in view and a few around them, whatever the size of the folder', () => {
  const w = lib.visibleWindow({ scrollTop: 0, viewportHeight: 520, rowHeight: 52, total: 20_000, overscan: 6 });
  assert.deepEqual(w, { start: 0, end: 17, offset: 0, height: 20_000 * 52 });
  const mid = lib.visibleWindow({ scrollTop: 52 * 10_000 + 10, viewportHeight: 520, rowHeight: 52, total: 20_000, overscan: 6 });
  assert.equal(mid.start, 9_994);
  assert.equal(mid.end, 10_017);
  assert.equal(mid.offset, 9_994 * 52);
  // Past the end (a folder that shrank under the scroll position): clamped to the last screen.
  const end = lib.visibleWindow({ scrollTop: 1e9, viewportHeight: 520, rowHeight: 52, total: 20_000, overscan: 6 });
  assert.equal(end.end, 20_000);
  assert.ok(end.end - end.start <= 10 + 1 + 6 + 6);
  assert.deepEqual(lib.visibleWindow({ scrollTop: 0, viewportHeight: 500, rowHeight: 52, total: 0 }), {
    start: 0,
    end: 0,
    offset: 0,
    height: 0,
  });

  assert.deepEqual(lib.pagesFor(0, 17, 200), [0]);
  assert.deepEqual(lib.pagesFor(190, 210, 200), [0, 1]);
  assert.deepEqual(lib.pagesFor(5, 5, 200), []);

  assert.equal(lib.scrollToReveal(0, 0, 520, 52), 0);
  assert.equal(lib.scrollToReveal(10, 0, 520, 52), 52 * 11 - 520, 'a row below the view: scrolled just enough');
  assert.equal(lib.scrollToReveal(3, 520, 520, 52), 156, 'a row above the view: scrolled to its top');
  assert.equal(lib.scrollToReveal(5, 100, 520, 52), 100, 'a row in view: no scroll');

  assert.equal(lib.stepIndex(null, 1, 10), 0);
  assert.equal(lib.stepIndex(null, -1, 10), 9);
  assert.equal(lib.stepIndex(9, 1, 10), 9);
  assert.equal(lib.stepIndex(0, -5, 10), 0);
  assert.equal(lib.stepIndex(3, 1, 0), null);
});

test('20,000 messages: the first screen fetches one page and computes about a screenful of rows', async () => {
  const fake = folderBridge(() => 20_000);
  const list = new lib.MessageListState(fake.bridge);
  await list.open(7);
  await list.setViewport(0, 520);
  assert.equal(list.total, 20_000);
  assert.deepEqual(fake.callsOf('mail.messages'), [{ folderId: 7, offset: 0, limit: lib.PAGE_SIZE }]);
  const visibleRows = Math.ceil(520 / lib.ROW_HEIGHT);
  assert.ok(list.rows.length <= visibleRows + 1 + 2 * 6, `rows computed: ${list.rows.length}`);
  assert.equal(list.rows[0]!.item!.subject, 'Message 0');
  assert.equal(list.window.height, 20_000 * lib.ROW_HEIGHT);

  // A jump to the middle: only the page under the new window is fetched, rows 10,000.. are shown.
  const t0 = performance.now();
  await list.setViewport(10_000 * lib.ROW_HEIGHT, 520);
  const took = performance.now() - t0;
  const offsets = fake.callsOf('mail.messages').map((c) => c.offset);
  assert.deepEqual(offsets, [0, 9_800, 10_000]);
  assert.equal(list.rows.find((r) => r.index === 10_000)!.item!.subject, 'Message 10000');
  assert.ok(list.rows.length <= visibleRows + 1 + 2 * 6);
  assert.ok(took < 200, `a scroll step took ${took.toFixed(1)} ms`);

  // Scrolling back and forth does not refetch pages it holds, and far pages are let go.
  await list.setViewport(10_000 * lib.ROW_HEIGHT + 100, 520);
  assert.equal(fake.callsOf('mail.messages').length, 3);
  await list.setViewport(19_990 * lib.ROW_HEIGHT, 520);
  assert.ok(list.pagesHeld <= 1 + 2 * 6 + 1, `pages held: ${list.pagesHeld}`);
  assert.ok(list.rows.every((r) => r.item !== null));
  assert.equal(list.rows.at(-1)!.index, 19_999);
});

test('keyboard selection moves row by row, stays inside the list, and scrolls the row into view', async () => {
  const fake = folderBridge(() => 20_000);
  const list = new lib.MessageListState(fake.bridge);
  await list.open(1);
  await list.setViewport(0, 520);
  assert.equal(list.move(1)!.subject, 'Message 0', 'the first move selects the first row');
  assert.equal(list.move(1)!.subject, 'Message 1');
  assert.equal(list.move(-5)!.subject, 'Message 0');
  for (let i = 0; i < 12; i++) list.move(1);
  assert.equal(list.selectedIndex, 12);
  assert.ok(list.scrollTop > 0, 'the list scrolled to keep the selection in view');
  assert.ok(list.scrollTop <= 12 * lib.ROW_HEIGHT && list.scrollTop + 520 >= 13 * lib.ROW_HEIGHT);
  list.select(19_999);
  assert.equal(list.selectedIndex, 19_999);
  const item = await list.itemLoaded(19_999);
  assert.equal(item!.subject, 'Message 19999');
  assert.equal(list.selectedUid, item!.uid);
  list.move(1);
  assert.equal(list.selectedIndex, 19_999);
});

test('a reload keeps the selection on its message when rows above it come and go', async () => {
  let total = 500;
  const removed = new Set<number>();
  const fake = folderBridge(() => total, removed);
  const list = new lib.MessageListState(fake.bridge);
  await list.open(3);
  await list.setViewport(0, 520);
  list.select(5);
  const uid = list.selectedUid;
  // Two messages above the selection are deleted elsewhere.
  removed.add(1);
  removed.add(2);
  total = 498;
  await list.reload();
  assert.equal(list.selectedUid, uid);
  assert.equal(list.selectedIndex, 3);
  assert.equal(list.total, 498);
  // The selected message itself goes: the one that took its place is selected.
  removed.add(5);
  total = 497;
  await list.reload();
  assert.equal(list.selectedIndex, 3);
  assert.equal(list.selected!.subject, 'Message 6');
});

test('answers for a folder that is no longer open are dropped', async () => {
  let release: () => void = () => {};
  const slow = new Promise<void>((r) => (release = r));
  const fake = fakeBridge({
    'mail.messages': async ({ folderId }: { folderId: number }) => {
      if (folderId === 1) await slow;
      return { total: 1, items: [item(folderId, 0)] };
    },
  });
  const list = new lib.MessageListState(fake.bridge);
  const first = list.open(1);
  await list.open(2);
  release();
  await first;
  assert.equal(list.folderId, 2);
  assert.equal(list.itemAt(0)!.folderId, 2);
});

test('flags change in place (read, flag) without a refetch; errors are shown as values', async () => {
  const fake = folderBridge(() => 3);
  const list = new lib.MessageListState(fake.bridge);
  await list.open(1);
  const uid = list.itemAt(1)!.uid;
  list.updateFlags(uid, (f) => [...f, '\\Seen', '\\Flagged']);
  assert.equal(lib.isUnread(list.itemAt(1)!), false);
  assert.equal(lib.isFlagged(list.itemAt(1)!), true);
  assert.equal(fake.callsOf('mail.messages').length, 1);

  const failing = fakeBridge({});
  const broken = new lib.MessageListState(failing.bridge);
  await broken.open(1);
  assert.equal(broken.loaded, false);
  assert.match(broken.error!.detail, /no fake for mail.messages/);
  await until(() => true, 'nothing');
});
