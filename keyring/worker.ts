import { parentPort, workerData } from 'node:worker_threads';
import { serve } from './host.ts';

/**
 * The keyring in a worker thread: how the command line and the tests run it
 * (the app runs the same `serve()` in an Electron utilityProcess).
 */
if (!parentPort) throw new Error('keyring/worker.ts must run in a worker thread');
const port = parentPort;
serve(
  {
    postMessage: (message, transfer) => port.postMessage(message, transfer),
    onMessage: (handler) => port.on('message', handler),
    close: () => port.close(),
  },
  { home: (workerData as { home: string | null } | undefined)?.home ?? null },
);
