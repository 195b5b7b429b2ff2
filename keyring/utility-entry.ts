import { serve, type ServeOptions } from './host.ts';
import { portFromMessagePortMain } from '../app/keyring-protocol.ts';

/**
 * The keyring as an Electron utilityProcess (the app; the command line and
 * the tests run the same `serve()` in a worker thread, keyring/worker.ts).
 *
 * No `electron` import: the utility process gives `process.parentPort`, an
 * event emitter whose 'message' events are `{ data, ports }`. The main
 * process sends one message, `{ t: 'init', home }`, with a MessageChannelMain
 * port; the keyring protocol then runs over that port (a port of its own
 * rather than parentPort, so the channel can be handed on and closed).
 */

/** A MessagePortMain as seen from the utility process. */
interface MessagePortMainLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
}

export interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown; ports?: readonly MessagePortMainLike[] }) => void): unknown;
  off(event: 'message', listener: (event: { data: unknown; ports?: readonly MessagePortMainLike[] }) => void): unknown;
}

function parseInit(data: unknown): ServeOptions | null {
  if (typeof data !== 'object' || data === null) return null;
  const { t, home } = data as { t?: unknown; home?: unknown };
  if (t !== 'init') return null;
  if (home !== null && (typeof home !== 'string' || home.length === 0 || home.length > 4096)) return null;
  return { home };
}

/**
 * Wait for the init message on the parent port and serve the keyring on the
 * port it carries. Messages before a valid init are ignored; a second init
 * is ignored too (one keyring per process).
 */
export function attachToParent(parent: ParentPortLike, serveFn: typeof serve = serve, onClose: () => void = () => process.exit(0)): void {
  const listener = (event: { data: unknown; ports?: readonly MessagePortMainLike[] }) => {
    const options = parseInit(event.data);
    const port = event.ports?.[0];
    if (!options || !port) return;
    parent.off('message', listener);
    const service = serveFn(portFromMessagePortMain(port), options);
    // The main process went away or closed the channel: lock, and end.
    port.on('close', () => {
      service.close();
      onClose();
    });
  };
  parent.on('message', listener);
}

const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;
if (parentPort) attachToParent(parentPort);
