/**
 * The keyring client's side of the protocol (keyring/client.ts,
 * app/keyring-protocol.ts) for errors: what the keyring process sends is
 * checked against the registry before main sees it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SealpostError } from '../../app/errors.ts';
import type { PortLike } from '../../app/keyring-protocol.ts';
import { PortKeyringClient } from '../../keyring/client.ts';

const FPR = 'A'.repeat(40);

/** A keyring that answers every call with `error` as it is. */
function answering(error: unknown): PortKeyringClient {
  let deliver: (message: unknown) => void = () => {};
  const port: PortLike = {
    postMessage: (message) => {
      const { t, id } = message as { t: string; id: number };
      if (t === 'call') queueMicrotask(() => deliver({ t: 'done', id, result: { ok: false, error } }));
    },
    onMessage: (handler) => {
      deliver = handler;
    },
  };
  return new PortKeyringClient(port);
}

test('an error from the keyring arrives as a SealpostError with its code, message and details', async () => {
  const sent = new SealpostError('key-passphrase-required', `for key ${FPR}`, { fingerprints: [FPR] }).toAppError();
  await assert.rejects(answering(sent).call('keys.list', { secret: false }), (e: unknown) => {
    assert.ok(e instanceof SealpostError && e.is('key-passphrase-required'));
    assert.deepEqual(e.toAppError(), sent);
    return true;
  });
});

test('an error that does not match the registry fails the call as protocol-invalid, and does not leave it waiting', async () => {
  const bad = [
    { code: 'key-passphrase-required', message: 'x', retryable: false, details: { fingerprints: ['lower case'] } },
    { code: 'key-passphrase-required', message: 'x', retryable: false },
    { code: 'made-up', message: 'x', retryable: false, details: {} },
  ];
  for (const error of bad) {
    await assert.rejects(
      answering(error).call('keys.list', { secret: false }),
      (e: unknown) => e instanceof SealpostError && e.code === 'protocol-invalid' && !e.message.includes('lower case'),
      JSON.stringify(error),
    );
  }
});
