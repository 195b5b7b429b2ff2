import { open, rm, mkdtemp, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const MEMORY_LIMIT = 8 * 1024 * 1024;
const RECORD_SIZE = 1024 * 1024;
const TAG_LENGTH = 16;

/**
 * Holds released-later data, such as plaintext that must not reach anyone
 * before its integrity check has passed. Small data stays in memory; past
 * 8 MiB it goes to a temporary file encrypted with AES-256-GCM under a key
 * that exists only in this process's memory, so no plaintext reaches the
 * disk and a 100 MB message needs no 100 MB of memory. Data is gathered into
 * 1 MiB records (openpgp.js emits many small chunks). The file is removed by
 * `dispose()`, which callers run in a `finally`.
 */
export class Spool {
  private pending: Uint8Array[] = [];
  private pendingSize = 0;
  private memory: Uint8Array[] = [];
  private memorySize = 0;
  private file: { dir: string; handle: FileHandle; key: Buffer; position: number; records: number[] } | null = null;
  size = 0;

  async write(chunk: Uint8Array): Promise<void> {
    this.size += chunk.length;
    this.pending.push(chunk);
    this.pendingSize += chunk.length;
    if (this.pendingSize >= RECORD_SIZE) await this.seal();
  }

  /** Move the gathered chunks into one record: in memory while small, else into the encrypted file. */
  private async seal(): Promise<void> {
    if (this.pendingSize === 0) return;
    const record = Buffer.concat(this.pending, this.pendingSize);
    this.pending = [];
    this.pendingSize = 0;
    if (!this.file && this.memorySize + record.length <= MEMORY_LIMIT) {
      this.memory.push(record);
      this.memorySize += record.length;
      return;
    }
    if (!this.file) {
      const dir = await mkdtemp(join(tmpdir(), 'sealpost-spool-'));
      const handle = await open(join(dir, 'spool'), 'w+', 0o600);
      this.file = { dir, handle, key: randomBytes(32), position: 0, records: [] };
      const earlier = this.memory;
      this.memory = [];
      this.memorySize = 0;
      for (const r of earlier) await this.writeRecord(r);
    }
    await this.writeRecord(record);
  }

  /** GCM nonces are the record numbers: unique under a key used for this one file. */
  private static nonce(counter: number): Buffer {
    const iv = Buffer.alloc(12);
    iv.writeUInt32BE(counter, 8);
    return iv;
  }

  private async writeRecord(record: Uint8Array): Promise<void> {
    const f = this.file!;
    const cipher = createCipheriv('aes-256-gcm', f.key, Spool.nonce(f.records.length));
    const body = cipher.update(record);
    cipher.final();
    const tag = cipher.getAuthTag();
    await f.handle.writev([body, tag], f.position);
    f.position += body.length + TAG_LENGTH;
    f.records.push(body.length + TAG_LENGTH);
  }

  /** The data, in order, record by record. */
  async *read(): AsyncGenerator<Uint8Array> {
    await this.seal();
    if (!this.file) {
      yield* this.memory;
      return;
    }
    const f = this.file;
    let position = 0;
    for (let i = 0; i < f.records.length; i++) {
      const length = f.records[i]!;
      const body = Buffer.allocUnsafe(length);
      await f.handle.read(body, 0, length, position);
      position += length;
      const decipher = createDecipheriv('aes-256-gcm', f.key, Spool.nonce(i));
      decipher.setAuthTag(body.subarray(length - TAG_LENGTH));
      const plain = decipher.update(body.subarray(0, length - TAG_LENGTH));
      decipher.final();
      yield plain;
    }
  }

  async dispose(): Promise<void> {
    this.pending = [];
    this.memory = [];
    if (this.file) {
      const f = this.file;
      this.file = null;
      f.key.fill(0);
      await f.handle.close().catch(() => {});
      await rm(f.dir, { recursive: true, force: true });
    }
  }
}
