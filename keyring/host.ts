import type { z } from 'zod';
import * as openpgp from 'openpgp';
import { SealpostError } from '../app/errors.ts';
import {
  ClientMessage,
  STREAM_WINDOW,
  unaryMethods,
  streamMethods,
  ownedChunk,
  MAX_CHUNK,
  validationMessage,
  type PortLike,
  type HostMessage,
  type UnaryMethod,
  type StreamMethod,
} from '../app/keyring-protocol.ts';
import { Keyring } from './keyring.ts';
import { KeyStore } from './store.ts';
import { UnlockSession } from './session.ts';
import * as ops from './operations.ts';
import { createSetupPayload, importSetupPayload } from './setup-message.ts';
import { readAllBytes, type Sink } from './streams.ts';

export interface ServeOptions {
  /** Profile directory; null for a keyring without storage (Stateless OpenPGP). */
  home: string | null;
}

type Ctx = ops.OpContext;

const unaryHandlers: { [M in UnaryMethod]: (ctx: Ctx, p: z.output<(typeof unaryMethods)[M]['params']>) => Promise<unknown> } = {
  'keys.list': (ctx, p) => ctx.keyring.list(p.secret),
  'keys.show': (ctx, p) => ctx.keyring.show(p.query),
  'keys.import': (ctx, p) => ctx.keyring.import(p.data, p.source),
  'keys.inspect': (ctx, p) => ctx.keyring.inspect(p.data, p.source),
  'keys.export': async (ctx, p) => ({ armored: await ctx.keyring.export(p.query, p) }),
  'keys.delete': async (ctx, p) => {
    await ctx.keyring.delete(p.fingerprint, p.secret);
    return {};
  },
  'keys.trust': (ctx, p) => ctx.keyring.setTrust(p.fingerprint, p.trust, p.how),
  'keys.generate': (ctx, p) => ctx.keyring.generate(p),
  'keys.revoke': (ctx, p) => ctx.keyring.revoke(p.fingerprint, p),
  'keys.expire': (ctx, p) => ctx.keyring.setExpiry(p.fingerprint, p.expiresInSeconds, p.passphrase),
  'keys.passwd': (ctx, p) => ctx.keyring.changePassphrase(p.fingerprint, p.oldPassphrase, p.newPassphrase),
  'keys.revocationCertificate': async (ctx, p) => ({ armored: await ctx.keyring.revocationCertificate(p.fingerprint) }),
  'keys.addUserId': (ctx, p) => ctx.keyring.addUserId(p.fingerprint, p.userId, p.passphrase),
  'keys.addressState': (ctx, p) => ctx.keyring.addressState(p.address),
  'keys.accept': (ctx, p) => ctx.keyring.accept(p.address, p.fingerprint),
  'keys.refreshTimes': (ctx) => ctx.keyring.refreshTimes(),
  'keys.markRefreshed': async (ctx, p) => {
    await ctx.keyring.markRefreshed(p.fingerprints, p.at);
    return {};
  },
  'autocrypt.seen': (ctx, p) => ctx.keyring.autocryptSeen(p),
  'keys.setupMessage.create': (ctx, p) => createSetupPayload(ctx.keyring, p),
  'keys.setupMessage.import': (ctx, p) => importSetupPayload(ctx.keyring, p),
  'session.unlock': async (ctx, p) => {
    const secret = await ctx.keyring.secretKeyFor(p.fingerprint);
    return ctx.session.add(await Keyring.unlock(secret, p.passphrase), p.ttlSeconds);
  },
  'session.lock': async (ctx, p) => {
    ctx.session.lock(p.fingerprint);
    return {};
  },
  'session.list': async (ctx) => ctx.session.list(),
  'sop.generateKey': async (_ctx, p) => ({ key: await ops.generateKey(p) }),
  'keyring.info': async () => ({ backend: openpgp.config.versionString }),
  'sop.extractCert': async (_ctx, p) => ({ cert: await ops.extractCert(p.key, p.armor) }),
};

const streamHandlers: {
  [M in StreamMethod]: (
    ctx: Ctx,
    p: z.output<(typeof streamMethods)[M]['params']>,
    input: ReadableStream<Uint8Array>,
    sink: Sink,
  ) => Promise<unknown>;
} = {
  'crypto.encrypt': (ctx, p, input, sink) => ops.encrypt(ctx, p, input, sink),
  'crypto.sign': (ctx, p, input, sink) => ops.sign(ctx, p, input, sink),
  'crypto.decrypt': (ctx, p, input, sink) => ops.decrypt(ctx, p, input, sink),
  'crypto.verify': (ctx, p, input, sink) => ops.verify(ctx, p, input, sink),
  'crypto.inlineDetach': (_ctx, p, input, sink) => ops.inlineDetach(input, p.armor, sink),
  'crypto.armor': async (_ctx, _p, input, sink) => {
    await sink(await ops.armorData(await readAllBytes(input)));
    return {};
  },
  'crypto.dearmor': async (_ctx, _p, input, sink) => {
    await sink(await ops.dearmorData(await readAllBytes(input)));
    return {};
  },
};

function toAppError(e: unknown) {
  if (e instanceof SealpostError) return e.toAppError();
  const invalid = validationMessage(e);
  if (invalid !== null) return new SealpostError('protocol-invalid', invalid).toAppError();
  // Unknown failures are reported by class only: their text could carry data.
  return new SealpostError('internal', e instanceof Error ? e.name : 'unknown').toAppError();
}

const INPUT_COALESCE = 1 << 20;
const OUTPUT_COALESCE = 256 * 1024;

/** An incoming stream fed by 'data' messages; each chunk read is acknowledged, which lets the client send the next. */
class InputStream {
  private queue: Uint8Array[] = [];
  private ended = false;
  private aborted = false;
  private wake: (() => void) | null = null;
  readonly stream: ReadableStream<Uint8Array>;
  constructor(ack: () => void) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (this.queue.length === 0 && !this.ended && !this.aborted) {
            await new Promise<void>((resolve) => (this.wake = resolve));
          }
          if (this.aborted) return controller.error(new SealpostError('internal', 'aborted'));
          if (this.queue.length === 0) return controller.close();
          // Hand over what has arrived as one chunk (up to 1 MiB): openpgp.js
          // spends time per chunk, and clients send what their source gives (64 KiB from a file).
          const taken: Uint8Array[] = [];
          let size = 0;
          while (this.queue.length > 0 && (taken.length === 0 || size + this.queue[0]!.length <= INPUT_COALESCE)) {
            const chunk = this.queue.shift()!;
            taken.push(chunk);
            size += chunk.length;
          }
          controller.enqueue(taken.length === 1 ? taken[0]! : Buffer.concat(taken, size));
          for (let i = 0; i < taken.length; i++) ack();
        },
      },
      { highWaterMark: 0 },
    );
  }
  push(chunk: Uint8Array): void {
    this.queue.push(chunk);
    this.wake?.();
  }
  end(): void {
    this.ended = true;
    this.wake?.();
  }
  abort(): void {
    this.aborted = true;
    this.wake?.();
  }
}

/**
 * The keyring service over a port. Every request is validated here, where
 * it is received; errors go back as values (`Result`), never as exceptions.
 */
export function serve(port: PortLike, options: ServeOptions): { close(): void } {
  const ctx: Ctx = {
    keyring: new Keyring(options.home ? new KeyStore(options.home) : null),
    session: new UnlockSession(),
  };
  const inputs = new Map<number, InputStream>();
  const credits = new Map<number, { outstanding: number; wake: (() => void) | null }>();
  const send = (message: HostMessage) => port.postMessage(message);

  const finish = (id: number, result: { ok: true; value: unknown } | { ok: false; error: ReturnType<typeof toAppError> }) => {
    inputs.delete(id);
    credits.delete(id);
    send({ t: 'done', id, result });
  };

  const runUnary = async (id: number, method: UnaryMethod, raw: unknown) => {
    try {
      const params = unaryMethods[method].params.parse(raw);
      const value = await (unaryHandlers[method] as (c: Ctx, p: unknown) => Promise<unknown>)(ctx, params);
      finish(id, { ok: true, value });
    } catch (e) {
      finish(id, { ok: false, error: toAppError(e) });
    }
  };

  const runStream = async (id: number, method: StreamMethod, raw: unknown) => {
    const input = new InputStream(() => send({ t: 'ack', id }));
    inputs.set(id, input);
    const credit = { outstanding: 0, wake: null as (() => void) | null };
    credits.set(id, credit);
    const post = async (chunk: Uint8Array) => {
      while (credit.outstanding >= STREAM_WINDOW) await new Promise<void>((resolve) => (credit.wake = resolve));
      credit.outstanding += 1;
      // Coalesced chunks are this side's own fresh buffers: transferred, not copied.
      const owned = ownedChunk(chunk, true);
      port.postMessage({ t: 'data', id, chunk: owned.chunk } satisfies HostMessage, owned.transfer);
    };
    // Output is gathered into chunks of 256 KiB: openpgp.js emits many tiny ones, each of which would be a message.
    let pending: Uint8Array[] = [];
    let pendingSize = 0;
    const flush = async () => {
      if (pendingSize === 0) return;
      const chunk = Buffer.concat(pending, pendingSize);
      pending = [];
      pendingSize = 0;
      for (let offset = 0; offset < chunk.length; offset += MAX_CHUNK) await post(chunk.subarray(offset, offset + MAX_CHUNK));
    };
    const sink: Sink = async (chunk) => {
      pending.push(chunk);
      pendingSize += chunk.length;
      if (pendingSize >= OUTPUT_COALESCE) await flush();
    };
    try {
      const params = streamMethods[method].params.parse(raw);
      const handler = streamHandlers[method] as (c: Ctx, p: unknown, i: ReadableStream<Uint8Array>, s: Sink) => Promise<unknown>;
      const value = await handler(ctx, params, input.stream, sink);
      await flush();
      finish(id, { ok: true, value });
    } catch (e) {
      finish(id, { ok: false, error: toAppError(e) });
    } finally {
      input.abort();
    }
  };

  port.onMessage((raw) => {
    const parsed = ClientMessage.safeParse(raw);
    if (!parsed.success) return; // not ours, or malformed: there is no id to answer
    const msg = parsed.data;
    switch (msg.t) {
      case 'call':
        if (Object.hasOwn(unaryMethods, msg.method)) void runUnary(msg.id, msg.method as UnaryMethod, msg.params);
        else if (Object.hasOwn(streamMethods, msg.method)) void runStream(msg.id, msg.method as StreamMethod, msg.params);
        else finish(msg.id, { ok: false, error: new SealpostError('protocol-invalid', `unknown method ${msg.method}`).toAppError() });
        break;
      case 'data':
        inputs.get(msg.id)?.push(msg.chunk);
        break;
      case 'end':
        inputs.get(msg.id)?.end();
        break;
      case 'abort':
        inputs.get(msg.id)?.abort();
        break;
      case 'ack': {
        const credit = credits.get(msg.id);
        if (credit) {
          credit.outstanding -= 1;
          credit.wake?.();
          credit.wake = null;
        }
        break;
      }
    }
  });
  return {
    close() {
      ctx.session.lock();
      port.close?.();
    },
  };
}
