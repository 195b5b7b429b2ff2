/**
 * What the smoke test runs inside the app's page (webContents.executeJavaScript,
 * in the page's main world, where the renderer's own code runs). Each probe
 * is one expression whose value (or promise) is structured-cloneable, so
 * that main receives it as it is.
 */

/** The URL the navigation probe tries to leave for. */
export const FOREIGN_URL = 'https://example.org/';

/** What the page sees of Node: every one must be "undefined" in a sandboxed, isolated renderer. */
export const NODE_PROBE = `(() => ({ process: typeof process, require: typeof require, module: typeof module, Buffer: typeof Buffer, global: typeof global }))()`;

/** The preload's bridge as the page sees it: its keys with their types, sorted; null when there is none. */
export const BRIDGE_PROBE = `(() => {
  const bridge = window.sealpost;
  if (bridge === null || (typeof bridge !== 'object' && typeof bridge !== 'function')) return null;
  return Object.getOwnPropertyNames(bridge).sort().map((key) => key + ':' + typeof bridge[key]);
})()`;

/** A real call through the bridge, the IPC channel, main's sender check and dispatcher, to the keyring. */
export const CALL_PROBE = `window.sealpost.call('keys.list', {})`;

/** The marker the message frame's own script would post to its parent if scripts ran in it. */
export const FRAME_SCRIPT_MARKER = 'sealpost-smoke-frame-script-ran';

/** The document served as the message frame: it tries to run a script that reaches its parent. */
export const FRAME_DOCUMENT = `<!doctype html><html><head><meta charset="utf-8"><title>Smoke test</title></head><body><p>Sealpost smoke test</p><script>parent.postMessage('${FRAME_SCRIPT_MARKER}', '*'); parent.document.title = '${FRAME_SCRIPT_MARKER}';</script></body></html>`;

export interface FrameProbeResult {
  loaded: boolean;
  /** "null" when the page cannot see into the frame (an opaque, sandboxed origin). */
  contentDocument: 'null' | 'visible';
  /** "blocked" when touching the frame's document throws. */
  reach: 'blocked' | 'reached';
  /** What the frame's own scripts posted to the page (nothing, when scripts do not run there). */
  posted: string[];
  title: string;
}

/**
 * The reader's frame as MessageFrame.svelte makes it (an empty sandbox, no
 * referrer), loading `url`; waits for it (bounded), then reports what the
 * page and the frame could do to each other. The frame stays in the page
 * until FRAME_REMOVE_PROBE, so that main can look at it meanwhile.
 */
export function frameProbe(url: string, loadTimeoutMs = 10_000, settleMs = 300): string {
  return `(async () => {
  const posted = [];
  const onMessage = (event) => posted.push(String(event.data));
  window.addEventListener('message', onMessage);
  try {
    const frame = document.createElement('iframe');
    frame.id = 'sealpost-smoke-frame';
    frame.setAttribute('sandbox', '');
    frame.setAttribute('referrerpolicy', 'no-referrer');
    const loaded = new Promise((resolve) => frame.addEventListener('load', () => resolve(true), { once: true }));
    frame.src = ${JSON.stringify(url)};
    document.body.appendChild(frame);
    const ok = await Promise.race([loaded, new Promise((resolve) => setTimeout(() => resolve(false), ${loadTimeoutMs}))]);
    // A script in the frame, had it run, would have posted by now.
    await new Promise((resolve) => setTimeout(resolve, ${settleMs}));
    let reach = 'reached';
    try {
      void frame.contentWindow.document.body;
    } catch {
      reach = 'blocked';
    }
    return { loaded: ok, contentDocument: frame.contentDocument === null ? 'null' : 'visible', reach, posted, title: document.title };
  } finally {
    window.removeEventListener('message', onMessage);
  }
})()`;
}

export const FRAME_REMOVE_PROBE = `(() => { document.getElementById('sealpost-smoke-frame')?.remove(); return true; })()`;

/** The page tries to leave the app in place, as a link followed in the window would. */
export const NAVIGATE_PROBE = `(() => { location.href = ${JSON.stringify(FOREIGN_URL)}; return true; })()`;

export const LOCATION_PROBE = `location.href`;
