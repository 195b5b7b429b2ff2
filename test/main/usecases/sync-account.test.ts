// The error a sync that did not do everything ends with (the command line's
// exit status): a message that did not go out first, then the outbox, then
// the first folder; temporary failures as network-temporary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SealpostError } from '../../../app/errors.ts';
import type { AccountSyncResult } from '../../../main/sync/account-sync.ts';
import { syncFailure, unsentError } from '../../../main/usecases/sync-account.ts';

const clean: AccountSyncResult = {
  sent: [],
  sendError: null,
  actions: { applied: 0, dropped: [] },
  drafts: { uploaded: 0, failed: [], unsaved: 0 },
  folders: [],
  folderErrors: [],
};
const temporary = new SealpostError('network-unavailable', 'no route');
const refused = new SealpostError('network-rejected', 'mailbox unavailable');

test('a complete sync ends with no error', () => {
  assert.equal(syncFailure(clean), null);
});

test('a message that did not go out comes first; still queued and temporary is network-temporary', () => {
  assert.equal(temporary.retryable, true, 'the example error is a temporary one');
  const failure = syncFailure({
    ...clean,
    sent: [{ id: 1, messageId: '<m@x>', state: 'queued', error: temporary, rejected: [] }],
    folderErrors: [{ folder: 'INBOX', error: refused }],
  });
  assert.equal(failure?.code, 'network-temporary');
  assert.match(failure.message, /stays queued in the outbox/);
  assert.equal(unsentError('failed', refused), refused, 'a message that failed for good keeps its error');
  const kept = unsentError('queued', refused);
  assert.equal(kept.code, 'network-rejected');
  assert.match(kept.message, /mailbox unavailable; the message stays queued/);
});

test('then the outbox as a whole, then the first folder', () => {
  assert.equal(
    syncFailure({ ...clean, sendError: temporary, folderErrors: [{ folder: 'INBOX', error: refused }] })?.code,
    'network-temporary',
  );
  assert.equal(syncFailure({ ...clean, sendError: refused }), refused);
  const second = new SealpostError('bad-input', 'second');
  assert.equal(
    syncFailure({
      ...clean,
      folderErrors: [
        { folder: 'A', error: refused },
        { folder: 'B', error: second },
      ],
    }),
    refused,
  );
});
