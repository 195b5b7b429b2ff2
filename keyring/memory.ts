import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Streaming 100 MB allocates a fresh buffer for every chunk at each stage
 * (decryption, spool, port). V8 collects buffers held outside its heap only
 * after tens of megabytes of them have piled up, so the resident size grows
 * with the data although little of it is live. A young-generation collection
 * every few megabytes keeps the keyring's memory flat; it takes well under
 * a millisecond when little is live. (`--expose-gc` set at run time, then
 * `gc` taken from a fresh context: Node's documented way to reach it.)
 */
let collect: ((options: { type: 'minor' }) => void) | null = null;

function gcFunction(): (options: { type: 'minor' }) => void {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as (options: { type: 'minor' }) => void;
  }
  return collect;
}

const EVERY_BYTES = 4 * 1024 * 1024;

/** Counts bytes that went through a stream stage and collects young garbage every 8 MiB. */
export class BufferReclaimer {
  private since = 0;
  passed(bytes: number): void {
    this.since += bytes;
    if (this.since >= EVERY_BYTES) {
      this.since = 0;
      gcFunction()({ type: 'minor' });
    }
  }
}
