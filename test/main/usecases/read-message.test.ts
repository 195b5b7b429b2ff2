// Reading, trust on first use: a good signature by a key other than the one in
// use for the sender's address is said in the report (main/usecases/read-message.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InspectReport } from '../../../app/inspect-report.ts';
import type { AddressState } from '../../../app/keys.ts';
import type { KeyringCalls } from '../../../app/node/keyring-client.ts';
import { noteSignerKeyChange } from '../../../main/usecases/read-message.ts';

const KNOWN = 'A'.repeat(40);
const OTHER = 'B'.repeat(40);

function report(signer: string, status: InspectReport['signature']['status'] = 'valid', matches = true): InspectReport {
  return {
    from: { name: 'Bob', address: 'bob@example.org' },
    to: [],
    cc: [],
    date: null,
    messageId: null,
    subject: 's',
    outerSubject: 's',
    outerFrom: { name: 'Bob', address: 'bob@example.org' },
    outerTo: [],
    outerCc: [],
    outerDate: null,
    encryption: { status: 'none', integrity: null, recipients: [], protectedHeaders: false, lockedKeys: [] },
    signature: {
      status,
      signer: { fingerprint: signer.toLowerCase(), userIds: ['Bob <bob@example.org>'] },
      signerMatchesFrom: matches,
      created: null,
    },
    parts: [],
    text: '',
    attachments: [],
    keys: [],
    warnings: [],
  };
}

function keyring(accepted: string | null): KeyringCalls & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    call: (async (method: string, params: { address: string }) => {
      assert.equal(method, 'keys.addressState');
      asked.push(params.address);
      const state: AddressState = {
        address: params.address,
        accepted: accepted ? { fingerprint: accepted, at: new Date(0).toISOString(), how: 'first-seen' } : null,
        keys: [],
        autocrypt: null,
      };
      return state;
    }) as KeyringCalls['call'],
  };
}

test('a good signature by a key that is not the one in use for the sender: a warning naming both keys', async () => {
  const r = report(OTHER);
  await noteSignerKeyChange(r, keyring(KNOWN));
  assert.deepEqual(
    r.warnings.map((w) => w.code),
    ['signer-key-changed'],
  );
  assert.ok(r.warnings[0]!.message.includes(OTHER) && r.warnings[0]!.message.includes(KNOWN));
});

test('the key in use, no key in use yet, or a signature that is not good: nothing added', async () => {
  for (const [r, accepted] of [
    [report(KNOWN), KNOWN],
    [report(OTHER), null],
    [report(OTHER, 'invalid'), KNOWN],
    [report(OTHER, 'valid', false), KNOWN],
  ] as const) {
    await noteSignerKeyChange(r, keyring(accepted));
    assert.deepEqual(r.warnings, []);
  }
});
