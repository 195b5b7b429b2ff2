import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { CALL_CHANNEL, EVENT_CHANNEL, isEventName } from '../../app/ipc/channels.ts';

/**
 * The sandboxed preload (bundled to CommonJS, dist/preload/preload.cjs).
 * It exposes `window.sealpost` with `call` and `on`, and nothing else: no
 * ipcRenderer, no event objects (they carry `sender`), no other channels.
 * Main validates every call (sender, procedure, input); the event names come
 * from the contract (app/ipc/channels.ts).
 */
contextBridge.exposeInMainWorld('sealpost', {
  call(procedure: string, input: unknown): Promise<unknown> {
    return ipcRenderer.invoke(CALL_CHANNEL, procedure, input);
  },
  on(event: string, handler: (payload: unknown) => void): () => void {
    if (!isEventName(event)) throw new TypeError(`unknown event: ${String(event).slice(0, 64)}`);
    if (typeof handler !== 'function') throw new TypeError('the handler must be a function');
    const listener = (_event: IpcRendererEvent, name: unknown, payload: unknown) => {
      if (name === event) handler(payload);
    };
    ipcRenderer.on(EVENT_CHANNEL, listener);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, listener);
    };
  },
});
