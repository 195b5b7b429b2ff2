/**
 * Properties of the keyring's side of its protocol (keyring/host.ts,
 * app/keyring-protocol.ts) for any message main could send, generated and
 * mutated: the host never throws, everything it sends back matches the
 * protocol (errors with a registry code and details of that code's shape),
 * every call it can answer is answered within a deadline, and it keeps
 * serving afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostMessage, streamMethods, unaryMethods, type PortLike } from '../../app/keyring-protocol.ts';
import { serve } from '../../keyring/host.ts';
import { fuzzParams, withinDeadline } from '../support/arbitraries.ts';

/** An in-process port to the host: what it sends is collected, what the test sends is handed over as it is (no cloning). */
function hostPort(): { port: PortLike; send(message: unknown): void; sent: unknown[] } {
  let handler: (message: unknown) => void = () => {};
  const sent: unknown[] = [];
  return {
    port: {
      postMessage: (message) => void sent.push(message),
      onMessage: (h) => {
        handler = h;
      },
    },
    send: (message) => handler(message),
    sent,
  };
}

const METHODS = [...Object.keys(unaryMethods), ...Object.keys(streamMethods)];
const method = fc.oneof(
  fc.constantFrom(...METHODS),
  fc.constantFrom('__proto__', 'constructor', 'toString', ''),
  fc.string({ maxLength: 70 }),
);

/** Params near the real shapes (fields the methods use, with values of any type) and anything at all. */
const params = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.dictionary(
    fc.constantFrom('secret', 'query', 'data', 'source', 'fingerprint', 'passphrase', 'recipients', 'armor', 'userIds', 'ttlSeconds', 'x'),
    fc.oneof(fc.anything({ maxDepth: 2 }), fc.uint8Array({ maxLength: 64 }), fc.stringMatching(/^[0-9A-Fa-f]{40}$/)),
    { maxKeys: 4 },
  ),
);

/** Messages that are not calls: other types, bad ids, chunks of any size, and plain garbage. */
const other = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.record({
    t: fc.constantFrom('data', 'end', 'abort', 'ack', 'done', 'call', 'x'),
    id: fc.oneof(fc.integer(), fc.double(), fc.string()),
  }),
  fc.record({
    t: fc.constant('data'),
    id: fc.nat(1000),
    chunk: fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.string(), fc.constant(null)),
  }),
);

test('any messages: the host never throws, answers every call within a deadline with a valid message, and keeps serving', async () => {
  const home = mkdtempSync(join(tmpdir(), 'sealpost-host-fuzz-'));
  const { port, send, sent } = hostPort();
  const host = serve(port, { home });
  let nextId = 1;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.record({ method, params }), other), { minLength: 1, maxLength: 6 }), async (messages) => {
        const calls: number[] = [];
        for (const m of messages) {
          if (m && typeof m === 'object' && 'method' in m && 'params' in m && Object.keys(m).length === 2) {
            const id = nextId++;
            calls.push(id);
            assert.doesNotThrow(() => send({ t: 'call', id, method: m.method, params: m.params }));
            // A stream call reads its input to the end: give it an empty one.
            assert.doesNotThrow(() => send({ t: 'end', id }));
          } else {
            assert.doesNotThrow(() => send(m));
          }
        }
        await withinDeadline(10_000, 'answers to the calls', async () => {
          const answered = () =>
            new Set(
              sent.flatMap((s) => (s && typeof s === 'object' && (s as { t?: unknown }).t === 'done' ? [(s as { id: number }).id] : [])),
            );
          while (!calls.every((id) => answered().has(id))) await new Promise((resolve) => setTimeout(resolve, 5));
        });
        for (const s of sent.splice(0)) {
          const checked = HostMessage.safeParse(s);
          assert.ok(checked.success, `the host sent a message outside the protocol: ${JSON.stringify(s)?.slice(0, 300)}`);
        }
      }),
      fuzzParams(150),
    );
    // Still serving: a plain call is answered as usual.
    const id = nextId++;
    send({ t: 'call', id, method: 'keys.list', params: { secret: false } });
    await withinDeadline(5_000, 'keys.list after the fuzzing', async () => {
      while (!sent.some((s) => (s as { id?: number }).id === id)) await new Promise((resolve) => setTimeout(resolve, 5));
    });
    const done = HostMessage.parse(sent.find((s) => (s as { id?: number }).id === id));
    assert.ok(done.t === 'done' && done.result.ok, JSON.stringify(done));
  } finally {
    host.close();
    rmSync(home, { recursive: true, force: true });
  }
});
