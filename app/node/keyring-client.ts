/**
 * What the main process and the command line may ask of the keyring: typed
 * from the protocol (app/keyring-protocol.ts). keyring/client.ts implements
 * it over a message port; main/ depends on this interface only (the
 * composition roots that start the keyring's worker or process excepted),
 * so a test gives main/ a fake that implements it, never a cast.
 */
import type { StreamMethod, StreamParams, StreamResult, UnaryMethod, UnaryParams, UnaryResult } from '../keyring-protocol.ts';

export interface StreamCall<T> {
  /** The operation's output; read it to its end (the keyring waits for the reader). */
  output: ReadableStream<Uint8Array>;
  /** The final result; settles after the output has been delivered. */
  result: Promise<T>;
}

/** The keyring's request-answer methods; what most of main/ needs. A failure arrives as a `SealpostError`. */
export interface KeyringCalls {
  call<M extends UnaryMethod>(method: M, params: UnaryParams<M>): Promise<UnaryResult<M>>;
}

/** The whole keyring client: its calls and its streaming operations (encrypt, decrypt, sign, verify...). */
export interface KeyringClient extends KeyringCalls {
  stream<M extends StreamMethod>(
    method: M,
    params: StreamParams<M>,
    input: ReadableStream<Uint8Array> | Uint8Array,
  ): StreamCall<StreamResult<M>>;
  /** Run a stream method over bytes and collect its whole output (for small data). */
  collect<M extends StreamMethod>(
    method: M,
    params: StreamParams<M>,
    input: ReadableStream<Uint8Array> | Uint8Array,
  ): Promise<{ output: Uint8Array; result: StreamResult<M> }>;
}
