import { open, rm, mkdtemp, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const MEMORY_LIMIT = 8 * 1024 * 1024;

/**
 * Holds released-later data, such as plaintext that must not reach anyone
 * before its integrity check has passed. Small data stays in memory; past
 * 8 MiB it goes to a temporary file encrypted with AES-256-GCM under a key
 * that exists only in this process's memory, so no plaintext reaches the
 * disk and a 100 MB message needs no 100 MB of memory. The file is removed
 * by `dispose()` (always called in a `finally`).
 */
export class Spool {
  private chunks: Uint8Array[] = [];
  private memoryBytes = 0;
  private file: { dir: string; handle: FileHandle; key: Buffer; counter: number; position: number; records: number[] } | null = null;
  size = 0;

  async write(chunk: Uint8Array): Promise<void> {
    this.size += chunk.length;
    if (!this.file && this.memoryBytes + chunk.length <= MEMORY_LIMIT) {
      this.chunks.push(chunk);
      this.memoryBytes += chunk.length;
      return;
    }
    if (!this.file) {
      const dir = await mkdtemp(join(tmpdir(), 'sealpost-spool-'));
      const handle = await open(join(dir, 'spool'), 'w+', 0o600);
      this.file = { dir, handle, key: randomBytes(32), counter: 0, position: 0, records: [] };
      const pending = this.chunks;
      this.chunks = [];
      this.memoryBytes = 0;
      for (const c of pending) await this.writeRecord(c);
    }
    await this.writeRecord(chunk);
  }

  private nonce(counter: number): Buffer {
    const iv = Buffer.alloc(12);
    iv.writeUInt32BE(counter, 8);
    return iv;
  }

  private async writeRecord(chunk: Uint8Array): Promise<void> {
    const f = this.file!;
    const cipher = createCipheriv('aes-256-gcm', f.key, this.nonce(f.counter++));
    const body = Buffer.concat([cipher.update(chunk), cipher.final(), cipher.getAuthTag()]);
    await f.handle.write(body, 0, body.length, f.position);
    f.position += body.length;
    f.records.push(body.length);
  }

  /** The data, in order, chunk by chunk. */
  async *read(): AsyncGenerator<Uint8Array> {
    if (!this.file) {
      yield* this.chunks;
      return;
    }
    const f = this.file;
    let position = 0;
    let counter = 0;
    for (const length of f.records) {
      const body = Buffer.alloc(length);
      await f.handle.read(body, 0, length, position);
      position += length;
      const decipher = createDecipheriv('aes-256-gcm', f.key, this.nonce(counter++));
      decipher.setAuthTag(body.subarray(length - 16));
      yield Buffer.concat([decipher.update(body.subarray(0, length - 16)), decipher.final()]);
    }
  }

  async dispose(): Promise<void> {
    this.chunks = [];
    if (this.file) {
      const f = this.file;
      this.file = null;
      f.key.fill(0);
      await f.handle.close().catch(() => {});
      await rm(f.dir, { recursive: true, force: true });
    }
  }
}
