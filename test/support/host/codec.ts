/**
 * The test bridge's wire format: JSON with tags for what JSON cannot carry,
 * shared by the host (Node) and the page (bundled into /__bridge.js).
 *
 * Electron's IPC structured-clones `call` inputs, results and event
 * payloads; the contract only uses JSON values and `Uint8Array`, so that is
 * what the bridge carries, with the same meaning on both ends:
 *
 *   Uint8Array (a Buffer too)     {"$bytes": "<base64>"}
 *   NaN, Infinity, -Infinity      {"$number": "NaN" | "Infinity" | "-Infinity"}
 *   undefined in an array         {"$undefined": true}
 *   undefined as an object value  the key is left out ("undefined-free objects")
 *   an object with a key "$..."   {"$object": {...}} (its keys taken literally)
 *
 * Anything else (functions, symbols, bigints, class instances, other typed
 * arrays, cycles) is refused with a TypeError where it is encoded, much as
 * Electron refuses what it cannot clone. A decoded object never has a tag
 * left in it: an object with a `$` key that is not exactly one known tag is
 * malformed, so no value can be read two ways.
 */

export interface Base64 {
  encode(bytes: Uint8Array): string;
  decode(text: string): Uint8Array;
}

export type Wire = null | boolean | number | string | Wire[] | { [key: string]: Wire };

/** How deep a value may nest (the contract's deepest input is a handful of levels). */
export const MAX_DEPTH = 64;

const NON_FINITE: Record<string, number> = { NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function kindOf(value: unknown): string {
  if (typeof value !== 'object' || value === null) return typeof value;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name ? name : 'object';
}

export function toWire(value: unknown, base64: Base64, where = 'value'): Wire {
  const seen = new Set<object>();
  const encode = (v: unknown, path: string, depth: number): Wire => {
    if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
    if (typeof v === 'number') {
      if (Number.isFinite(v)) return v;
      return { $number: Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity' };
    }
    if (v === undefined) return { $undefined: true };
    if (typeof v !== 'object') throw new TypeError(`${path}: a ${typeof v} cannot be sent over the bridge`);
    if (depth > MAX_DEPTH) throw new TypeError(`${path}: nested deeper than ${MAX_DEPTH} levels`);
    if (v instanceof Uint8Array) return { $bytes: base64.encode(v) };
    if (seen.has(v)) throw new TypeError(`${path}: a cycle cannot be sent over the bridge`);
    seen.add(v);
    try {
      if (Array.isArray(v)) {
        const out: Wire[] = [];
        for (let i = 0; i < v.length; i++) out.push(encode(v[i], `${path}[${i}]`, depth + 1));
        return out;
      }
      if (!isPlainObject(v))
        throw new TypeError(`${path}: a ${kindOf(v)} cannot be sent over the bridge (only JSON values and Uint8Array)`);
      const entries: [string, Wire][] = [];
      let tagLike = false;
      for (const key of Object.keys(v)) {
        const item = (v as Record<string, unknown>)[key];
        if (item === undefined) continue;
        if (key.startsWith('$')) tagLike = true;
        entries.push([key, encode(item, `${path}.${key}`, depth + 1)]);
      }
      const object: { [key: string]: Wire } = Object.fromEntries(entries);
      return tagLike ? { $object: object } : object;
    } finally {
      seen.delete(v);
    }
  };
  return encode(value, where, 0);
}

export function fromWire(wire: unknown, base64: Base64, where = 'value'): unknown {
  const decode = (w: unknown, path: string, depth: number, literal: boolean): unknown => {
    if (w === null || typeof w === 'boolean' || typeof w === 'string') return w;
    if (typeof w === 'number') {
      if (!Number.isFinite(w)) throw new TypeError(`${path}: not a JSON number`);
      return w;
    }
    if (typeof w !== 'object') throw new TypeError(`${path}: not a JSON value`);
    if (depth > MAX_DEPTH) throw new TypeError(`${path}: nested deeper than ${MAX_DEPTH} levels`);
    if (Array.isArray(w)) return w.map((item: unknown, i) => decode(item, `${path}[${i}]`, depth + 1, false));
    const keys = Object.keys(w);
    const record = w as Record<string, unknown>;
    if (!literal && keys.some((k) => k.startsWith('$'))) {
      const [tag] = keys;
      const body = tag === undefined ? undefined : record[tag];
      if (keys.length === 1 && tag === '$bytes' && typeof body === 'string') {
        if (!BASE64.test(body)) throw new TypeError(`${path}: malformed base64`);
        return base64.decode(body);
      }
      if (keys.length === 1 && tag === '$number' && typeof body === 'string' && Object.hasOwn(NON_FINITE, body)) return NON_FINITE[body];
      if (keys.length === 1 && tag === '$undefined' && body === true) return undefined;
      if (keys.length === 1 && tag === '$object' && typeof body === 'object' && body !== null && !Array.isArray(body))
        return decode(body, path, depth, true);
      throw new TypeError(`${path}: malformed tagged value`);
    }
    // fromEntries defines own properties: a "__proto__" key stays a key.
    return Object.fromEntries(keys.map((k) => [k, decode(record[k], `${path}.${k}`, depth + 1, false)]));
  };
  return decode(wire, where, 0, false);
}

/** Page to host. `input` is left out when the caller passed undefined. */
export interface CallMessage {
  t: 'call';
  id: number;
  procedure: string;
  input?: Wire;
}

/** Host to page: the answer to one call (always a `Result`), or an event. */
export type HostMessage = { t: 'result'; id: number; result: Wire } | { t: 'event'; event: string; payload: Wire };

/** The WebSocket path of the bridge; the token goes in its `token` query parameter. */
export const BRIDGE_PATH = '/__bridge';
/** The script the host injects before the app's own. */
export const BRIDGE_SCRIPT_PATH = '/__bridge.js';
/** The page URL's fragment parameter that carries the token (`#sealpost-token=...`). */
export const TOKEN_PARAM = 'sealpost-token';
