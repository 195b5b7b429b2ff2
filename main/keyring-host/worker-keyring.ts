import { Worker } from 'node:worker_threads';
import { SealpostError } from '../../app/errors.ts';
import { PortKeyringClient } from '../../keyring/client.ts';

/**
 * Where the keyring worker's entry lives: the TypeScript source when running
 * from the repository (Node strips the types), the bundle next to this code
 * when built (`npm run build` writes dist/keyring-worker.mjs beside the CLI).
 */
function workerEntry(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('../../keyring/worker.ts', import.meta.url)
    : new URL('./keyring-worker.mjs', import.meta.url);
}

export interface RunningKeyring {
  client: PortKeyringClient;
  close(): Promise<void>;
}

/** Start the keyring in a worker thread (command line and tests; the app uses a utilityProcess). */
export function startKeyringWorker(home: string | null): RunningKeyring {
  // A small young generation: streaming 100 MB allocates chunk after short-lived
  // chunk, and a large nursery lets the resident size grow with the data.
  const worker = new Worker(workerEntry(), { workerData: { home }, resourceLimits: { maxYoungGenerationSizeMb: 8 } });
  const client = new PortKeyringClient({
    postMessage: (message, transfer) => worker.postMessage(message, transfer),
    onMessage: (handler) => worker.on('message', handler),
  });
  worker.on('error', () => client.fail(new SealpostError('keyring-unavailable', 'the keyring worker failed')));
  worker.on('exit', () => client.fail(new SealpostError('keyring-unavailable', 'the keyring worker stopped')));
  return {
    client,
    close: async () => {
      await worker.terminate();
    },
  };
}
