/**
 * The two Electron channels between the renderer and the main process, and
 * the names of the events main sends. Kept apart from the schemas (and so
 * from the schema library) because the sandboxed preload bundles this file:
 * it must stay tiny. `contract.ts` checks at compile time that every event
 * named here has a schema, and that every schema is named here.
 */

/** Renderer to main: `ipcRenderer.invoke(CALL_CHANNEL, procedure, input)`, answered with a `Result`. */
export const CALL_CHANNEL = 'sealpost:call';

/** Main to renderer: `webContents.send(EVENT_CHANNEL, event, payload)`. */
export const EVENT_CHANNEL = 'sealpost:event';

export const EVENT_NAMES = [
  'keyring.changed',
  'session.locked',
  'sync.progress',
  'mail.changed',
  'outbox.changed',
  'mail.arrived',
  'compose.open',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && (EVENT_NAMES as readonly string[]).includes(name);
}
