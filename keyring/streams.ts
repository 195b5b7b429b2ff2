/** Helpers over web streams (the stream type openpgp.js and the port protocol share). */

export type Sink = (chunk: Uint8Array) => Promise<void>;

const encoder = new TextEncoder();

export function toBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? encoder.encode(value) : value;
}

/** Read one stream into a sink, chunk by chunk. */
export async function pump(stream: ReadableStream<Uint8Array | string> | Uint8Array | string, sink: Sink): Promise<void> {
  if (typeof stream === 'string' || stream instanceof Uint8Array) {
    const bytes = toBytes(stream);
    if (bytes.length > 0) await sink(bytes);
    return;
  }
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      const bytes = toBytes(value);
      if (bytes.length > 0) await sink(bytes);
    }
  } finally {
    reader.releaseLock();
  }
}

export async function readAllBytes(stream: ReadableStream<Uint8Array>, limit = Infinity): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let size = 0;
  await pump(stream, async (chunk) => {
    size += chunk.length;
    if (size > limit) throw new RangeError(`input larger than ${limit} bytes`);
    parts.push(chunk);
  });
  return Buffer.concat(parts);
}

export function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** Look at the first bytes of a stream without losing them. */
export async function peek(
  stream: ReadableStream<Uint8Array>,
  want = 64,
): Promise<{ head: Uint8Array; stream: ReadableStream<Uint8Array> }> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  while (size < want) {
    const { done, value } = await reader.read();
    if (done) {
      ended = true;
      break;
    }
    parts.push(value);
    size += value.length;
  }
  const head = Buffer.concat(parts);
  const rebuilt = new ReadableStream<Uint8Array>({
    start(controller) {
      if (head.length > 0) controller.enqueue(head);
      if (ended) controller.close();
    },
    async pull(controller) {
      if (ended) return;
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        controller.close();
      } else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { head, stream: rebuilt };
}

/** ASCII armor starts with text; binary OpenPGP packets start with a byte whose high bit is set (RFC 9580, section 4.2). */
export function looksArmored(head: Uint8Array): boolean {
  return head.length > 0 && (head[0]! & 0x80) === 0;
}

export function textStream(stream: ReadableStream<Uint8Array>): ReadableStream<string> {
  return stream.pipeThrough(new TextDecoderStream());
}
