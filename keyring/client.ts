import { SealpostError } from '../app/errors.ts';
import {
  HostMessage,
  STREAM_WINDOW,
  MAX_CHUNK,
  unaryMethods,
  streamMethods,
  ownedChunk,
  type PortLike,
  type ClientMessage,
  type UnaryMethod,
  type UnaryParams,
  type UnaryResult,
  type StreamMethod,
  type StreamParams,
  type StreamResult,
} from '../app/keyring-protocol.ts';
import type { KeyringClient, StreamCall } from '../app/node/keyring-client.ts';

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  schema: { parse(v: unknown): unknown };
  onData?(chunk: Uint8Array): void;
  onAck?(): void;
}

/**
 * The typed client of the keyring over a message port (a worker's or a
 * utility process's): the only part of `keyring/` that the composition roots
 * of the main process and the command line use; the rest of main/ sees it as
 * the `KeyringClient` interface of app/keyring-client.ts. Answers are
 * validated here, where they are received; a failure arrives as a
 * `SealpostError`.
 */
export class PortKeyringClient implements KeyringClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly port: PortLike;
  private closed: SealpostError | null = null;

  constructor(port: PortLike) {
    this.port = port;
    port.onMessage((raw) => this.receive(raw));
  }

  private send(message: ClientMessage, transfer?: ArrayBuffer[]): void {
    this.port.postMessage(message, transfer);
  }

  private receive(raw: unknown): void {
    const parsed = HostMessage.safeParse(raw);
    if (!parsed.success) {
      // A final answer that breaks the protocol (say an error whose details do not match its code) fails its call instead of leaving it waiting.
      const { t, id } = (raw && typeof raw === 'object' ? raw : {}) as { t?: unknown; id?: unknown };
      const pending = t === 'done' && typeof id === 'number' ? this.pending.get(id) : undefined;
      if (pending) {
        this.pending.delete(id as number);
        pending.reject(new SealpostError('protocol-invalid', 'the keyring sent an answer that does not match the contract'));
      }
      return;
    }
    const msg = parsed.data;
    const pending = this.pending.get(msg.id);
    if (!pending) return;
    if (msg.t === 'data') pending.onData?.(msg.chunk);
    else if (msg.t === 'ack') pending.onAck?.();
    else {
      this.pending.delete(msg.id);
      if (msg.result.ok) {
        try {
          pending.resolve(pending.schema.parse(msg.result.value));
        } catch {
          pending.reject(new SealpostError('protocol-invalid', 'the keyring sent an answer that does not match the contract'));
        }
      } else {
        // Checked against the registry by HostMessage: a known code with details of that code's shape.
        pending.reject(SealpostError.from(msg.result.error));
      }
    }
  }

  /** The keyring went away (its process ended): every call still waiting fails. */
  fail(reason: SealpostError): void {
    this.closed = reason;
    for (const pending of this.pending.values()) pending.reject(reason);
    this.pending.clear();
  }

  call<M extends UnaryMethod>(method: M, params: UnaryParams<M>): Promise<UnaryResult<M>> {
    if (this.closed) return Promise.reject(this.closed);
    if (!Object.hasOwn(unaryMethods, method))
      return Promise.reject(new SealpostError('protocol-invalid', `unknown method ${String(method)}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve, reject, schema: unaryMethods[method].result });
      this.send({ t: 'call', id, method, params });
    });
  }

  stream<M extends StreamMethod>(
    method: M,
    params: StreamParams<M>,
    input: ReadableStream<Uint8Array> | Uint8Array,
  ): StreamCall<StreamResult<M>> {
    const id = this.nextId++;
    let inFlight = 0;
    let wakeSender: (() => void) | null = null;
    const outputQueue: Uint8Array[] = [];
    let outputDone = false;
    let outputError: unknown = null;
    let wakeReader: (() => void) | null = null;
    const wake = () => {
      wakeReader?.();
      wakeReader = null;
    };

    const result = new Promise<StreamResult<M>>((resolve, reject) => {
      if (this.closed) return reject(this.closed);
      this.pending.set(id, {
        resolve: (v) => {
          outputDone = true;
          wake();
          resolve(v as StreamResult<M>);
        },
        reject: (e) => {
          outputDone = true;
          outputError = e;
          wake();
          wakeSender?.();
          reject(e);
        },
        schema: streamMethods[method].result,
        onData: (chunk) => {
          outputQueue.push(chunk);
          wake();
        },
        onAck: () => {
          inFlight -= 1;
          wakeSender?.();
          wakeSender = null;
        },
      });
      this.send({ t: 'call', id, method, params });
    });
    result.catch(() => {});

    const sendAll = async () => {
      const source = input instanceof Uint8Array ? null : input.getReader();
      const push = async (chunk: Uint8Array) => {
        for (let offset = 0; offset < chunk.length; offset += MAX_CHUNK) {
          while (inFlight >= STREAM_WINDOW && this.pending.has(id)) await new Promise<void>((r) => (wakeSender = r));
          if (!this.pending.has(id)) return false;
          inFlight += 1;
          const owned = ownedChunk(chunk.subarray(offset, offset + MAX_CHUNK));
          this.send({ t: 'data', id, chunk: owned.chunk }, owned.transfer);
        }
        return true;
      };
      try {
        if (input instanceof Uint8Array) {
          await push(input);
        } else {
          for (;;) {
            const { done, value } = await source!.read();
            if (done) break;
            if (!(await push(value))) {
              await source!.cancel();
              return;
            }
          }
        }
        if (this.pending.has(id)) this.send({ t: 'end', id });
      } catch {
        if (this.pending.has(id)) this.send({ t: 'abort', id });
      }
    };
    void sendAll();

    const output = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (outputQueue.length === 0 && !outputDone) await new Promise<void>((r) => (wakeReader = r));
          const chunk = outputQueue.shift();
          if (chunk) {
            controller.enqueue(chunk);
            this.send({ t: 'ack', id });
          } else if (outputError) controller.error(outputError);
          else controller.close();
        },
        cancel: () => {
          if (this.pending.has(id)) this.send({ t: 'abort', id });
        },
      },
      { highWaterMark: 0 },
    );
    return { output, result };
  }

  /** Run a stream method over bytes and collect its whole output (for small data). */
  async collect<M extends StreamMethod>(
    method: M,
    params: StreamParams<M>,
    input: ReadableStream<Uint8Array> | Uint8Array,
  ): Promise<{ output: Buffer; result: StreamResult<M> }> {
    const call = this.stream(method, params, input);
    const parts: Uint8Array[] = [];
    const reader = call.output.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
      }
    } catch {
      // the result carries the error
    }
    const result = await call.result;
    return { output: Buffer.concat(parts), result };
  }
}
