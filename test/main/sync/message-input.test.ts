/** The message list's fields from fetched header bytes (folder-sync.ts `messageInput`): each field decoded on its own. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FetchMessageObject } from 'imapflow';
import { messageInput } from '../../../main/sync/folder-sync.ts';

test('a UTF-8 Subject beside a Latin-1 display name: both read right in the message list', () => {
  const headers = Buffer.concat([
    Buffer.from('Subject: Grüße aus Köln\r\n', 'utf8'),
    Buffer.from('From: Andr\xe9 M\xfcller <andre@example.org>\r\n', 'latin1'),
    Buffer.from('Date: Mon, 01 Jun 2026 10:00:00 +0000\r\n\r\n', 'utf8'),
  ]);
  const m = { seq: 1, uid: 7, headers } as unknown as FetchMessageObject;
  const input = messageInput(m);
  assert.equal(input.subject, 'Grüße aus Köln');
  assert.deepEqual(input.from, { name: 'André Müller', address: 'andre@example.org' });
});
