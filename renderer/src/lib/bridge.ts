import type { SealpostBridge } from '../../../app/ipc/contract.ts';

declare global {
  interface Window {
    /** Set by the preload (main/preload/preload.ts): `call` and `on`, nothing else. */
    readonly sealpost?: SealpostBridge;
  }
}

/** The bridge to the main process, taken once from `window`; the rest of the renderer imports it from here. */
function takeBridge(): SealpostBridge {
  const candidate = window.sealpost;
  if (!candidate || typeof candidate.call !== 'function' || typeof candidate.on !== 'function') {
    throw new Error('Sealpost must run in its own app window: the bridge to the main process is missing.');
  }
  return candidate;
}

export const bridge: SealpostBridge = takeBridge();
