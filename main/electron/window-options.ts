import type { BrowserWindowConstructorOptions } from 'electron';

export interface Bounds {
  x?: number;
  y?: number;
  width: number;
  height: number;
}

export const DEFAULT_BOUNDS: Bounds = { width: 1100, height: 760 };
export const MIN_WIDTH = 640;
export const MIN_HEIGHT = 480;

/**
 * The main window: a sandboxed renderer with context isolation and no Node,
 * web security on, no spell checker (it would send typed text to a service
 * on some platforms), no webview tag, no remote content (the CSP says so).
 */
export function windowOptions(opts: { preload: string; bounds?: Bounds; darkBackground?: boolean }): BrowserWindowConstructorOptions {
  const bounds = opts.bounds ?? DEFAULT_BOUNDS;
  return {
    ...bounds,
    minWidth: MIN_WIDTH,
    minHeight: MIN_HEIGHT,
    title: 'Sealpost',
    show: false, // shown on ready-to-show: no white flash
    backgroundColor: opts.darkBackground ? '#1b1d21' : '#f7f7f5',
    webPreferences: {
      preload: opts.preload,
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      disableBlinkFeatures: 'Auxclick',
    },
  };
}
