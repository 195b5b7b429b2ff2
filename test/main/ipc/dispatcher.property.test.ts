/**
 * Properties of the IPC dispatcher (main/ipc/dispatcher.ts) for any payload
 * the renderer could send, generated and built from the contract's own
 * field names: it never throws, every answer is a value of the contract
 * (an error with a registry code and details of that code's shape, as the
 * bridge side checks), within a deadline, and the dispatcher keeps working.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CallError, procedures } from '../../../app/ipc/contract.ts';
import { startKeyringWorker, type RunningKeyring } from '../../../main/keyring-host/worker-keyring.ts';
import { createDispatcher, type Dispatch } from '../../../main/ipc/dispatcher.ts';
import { fuzzParams, withinDeadline } from '../../support/arbitraries.ts';

let home: string;
let keyring: RunningKeyring;
let dispatch: Dispatch;

before(() => {
  home = mkdtempSync(join(tmpdir(), 'sealpost-dispatch-fuzz-'));
  keyring = startKeyringWorker(home);
  dispatch = createDispatcher({ keyring: keyring.client, emit: () => undefined });
});

after(async () => {
  await keyring.close();
  rmSync(home, { recursive: true, force: true });
});

const NAMES = Object.keys(procedures) as (keyof typeof procedures)[];

/** The field names a procedure's input has, so that generated objects get past the first check now and then. */
function fieldsOf(name: keyof typeof procedures): string[] {
  const shape = (procedures[name].input as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}
const FIELDS = [...new Set(NAMES.flatMap(fieldsOf))];

const value = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.uint8Array({ maxLength: 200 }),
  fc.string({ maxLength: 100 }),
  fc.integer(),
  fc.constantFrom(-1, 0, 1, 2 ** 53, Number.NaN, Infinity, '', 'INBOX', 'alice@example.org', '../../etc/passwd', '__proto__'),
);
const payload = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 10 })), value, { maxKeys: 5 }),
);
const procedure = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom<string>(...NAMES) },
  { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 70 }), fc.constantFrom('__proto__', 'constructor', 'toString')) },
);

test('any call: a contract value back (a result, or a registry error with matching details) within a deadline; never a throw', async () => {
  await fc.assert(
    fc.asyncProperty(procedure, payload, async (name, input) => {
      const result = await withinDeadline(15_000, `dispatch ${name}`, () => dispatch(name, input));
      assert.equal(typeof result.ok, 'boolean');
      if (result.ok) {
        // An answer is only given when the input was one the contract accepts.
        assert.ok(Object.hasOwn(procedures, name));
        assert.ok(procedures[name as keyof typeof procedures].input.safeParse(input).success);
        return;
      }
      assert.deepEqual(CallError.parse(result.error), result.error, 'the error is what the bridge side accepts, unchanged');
      assert.deepEqual(Object.keys(result.error).sort(), ['code', 'details', 'message', 'retryable']);
    }),
    fuzzParams(300),
  );
  // Still working: a plain call is answered.
  const listed = await dispatch('keys.list', { secret: false });
  assert.ok(listed.ok, JSON.stringify(listed));
});
