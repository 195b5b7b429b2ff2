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

export interface MainWindowOptions {
  preload: string;
  bounds?: Bounds;
  darkBackground?: boolean;
}

/**
 * The main window: a sandboxed renderer with context isolation and no Node,
 * web security on, no spell checker (it would send typed text to a service
 * on some platforms), no webview tag, no middle-click navigation (Auxclick),
 * no remote content (the CSP says so).
 *
 * The options are written out where the window is constructed, not passed
 * in from elsewhere, so that reading this one call shows everything the
 * window is allowed (and so that static checkers such as Electronegativity,
 * run over the built bundle in the tests, see them too).
 */
export function createMainWindow<W>(BrowserWindow: new (options: BrowserWindowConstructorOptions) => W, opts: MainWindowOptions): W {
  const bounds = opts.bounds ?? DEFAULT_BOUNDS;
  return new BrowserWindow({
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
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      disableBlinkFeatures: 'Auxclick',
    },
  });
}

/** The options createMainWindow constructs the window with. */
export function windowOptions(opts: MainWindowOptions): BrowserWindowConstructorOptions {
  class Recorder {
    readonly options: BrowserWindowConstructorOptions;
    constructor(options: BrowserWindowConstructorOptions) {
      this.options = options;
    }
  }
  return createMainWindow(Recorder, opts).options;
}
