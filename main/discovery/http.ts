/**
 * HTTPS requests for key discovery (Web Key Directory, VKS and HKP keyservers), with the
 * limits every lookup keeps, whatever transport carries it:
 *
 * - https only, also after a redirect (at most 3 hops); the transport checks
 *   the certificate (the default, Node's global fetch, always does);
 * - one deadline for the whole request, redirects and body included
 *   (10 s by default);
 * - a cap on the answer's size (1 MiB by default): a bigger answer is cut off
 *   and refused, never buffered whole;
 * - only a 200 answer has content; 404 and 410 mean "nothing there".
 *
 * Failures are `NetworkError`s (a `SealpostError` with the URL), translated
 * from the transport's errors here, in one place.
 */
import { SealpostError, type ErrorCode } from '../../app/errors.ts';
import type { ReadableStreamReadResult } from 'node:stream/web';

/**
 * The transport: the shape of the global `fetch`. Injectable, so that tests
 * can reach loopback servers under real host names with their own CA.
 * It must follow no redirect itself when asked `redirect: 'manual'`.
 */
export type Fetcher = (url: string, init: RequestInit) => Promise<Response>;

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BYTES = 1 << 20;
const MAX_REDIRECTS = 3;

export const defaultFetcher: Fetcher = (url, init) => fetch(url, init);

export interface HttpLimits {
  fetcher: Fetcher;
  timeoutMs: number;
  maxBytes: number;
}

export interface HttpAnswer {
  /** Where the answer came from (after redirects). */
  url: string;
  status: number;
  /** The content of a 200 answer (of any answer to a POST); null otherwise. */
  body: Uint8Array | null;
}

/** A failed request: the registry's code, the URL it was about, and whether the server had answered (a status line) before it failed. */
export class NetworkError extends SealpostError {
  readonly url: string;
  readonly answered: boolean;
  constructor(code: ErrorCode, detail: string, url: string, answered = false) {
    super(code, detail);
    this.url = url;
    this.answered = answered;
  }
}

function duration(ms: number): string {
  return ms < 1000 || ms % 1000 !== 0 ? `${ms} ms` : `${ms / 1000} s`;
}

function size(bytes: number): string {
  return bytes >= 1 << 20 && bytes % (1 << 20) === 0
    ? `${bytes / (1 << 20)} MiB`
    : bytes >= 1024 && bytes % 1024 === 0
      ? `${bytes / 1024} KiB`
      : `${bytes} bytes`;
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL', 'ENODATA']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_|^ERR_TLS_|^ERR_SSL_|SIGNATURE|HOSTNAME|ALTNAME/;

/** The `code`s and messages along an error's cause chain (fetch wraps the socket's error in a TypeError). */
function causes(error: unknown): Array<{ code: string; message: string }> {
  const out: Array<{ code: string; message: string }> = [];
  let e: unknown = error;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    out.push({ code: typeof code === 'string' ? code : '', message: typeof message === 'string' ? message : '' });
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

/** One adapter from transport errors to the registry. */
export function translateNetworkError(error: unknown, url: URL, signal: AbortSignal, timeoutMs: number, answered = false): NetworkError {
  if (error instanceof NetworkError) return error;
  const host = url.hostname;
  if (signal.aborted) {
    const what = answered ? `the answer from ${host} did not arrive` : `no answer from ${host}`;
    return new NetworkError('network-timeout', `${what} within ${duration(timeoutMs)}`, url.href, answered);
  }
  const chain = causes(error);
  for (const { code, message } of chain) {
    if (DNS_CODES.has(code)) return new NetworkError('network-unavailable', `${host} does not resolve (${code})`, url.href, answered);
    if (TIMEOUT_CODES.has(code)) return new NetworkError('network-timeout', `no answer from ${host} (${code})`, url.href, answered);
    if (TLS_CODE.test(code)) return new NetworkError('network-tls', `${host}: ${message.slice(0, 200) || code}`, url.href, answered);
  }
  const named = chain.find((c) => c.code !== '');
  if (named) return new NetworkError('network-unavailable', `${host}: connection failed (${named.code})`, url.href, answered);
  const last = chain.at(-1)?.message;
  return new NetworkError('network-unavailable', `${host}: ${last ? last.slice(0, 200) : 'connection failed'}`, url.href, answered);
}

/** A status other than 200 and "nothing there" is a failure of the source. */
export function statusError(answer: HttpAnswer): NetworkError {
  const host = new URL(answer.url).hostname;
  const retryable = answer.status >= 500 || answer.status === 429 || answer.status === 408;
  return new NetworkError(
    retryable ? 'network-unavailable' : 'network-bad-response',
    `${host} answered HTTP ${answer.status}`,
    answer.url,
    true,
  );
}

/** 404 and 410: the server answered, and has nothing for this address. */
export function isNothingThere(status: number): boolean {
  return status === 404 || status === 410;
}

function discard(res: Response): void {
  res.body?.cancel().catch(() => {});
}

async function readCapped(res: Response, url: URL, limits: HttpLimits, signal: AbortSignal): Promise<Uint8Array> {
  const tooLarge = (): NetworkError =>
    new NetworkError(
      'network-bad-response',
      `the answer from ${url.hostname} is larger than ${size(limits.maxBytes)}; cut off`,
      url.href,
      true,
    );
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    discard(res);
    throw tooLarge();
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  // Whatever the transport does with the signal, a deadline ends the read here.
  const onAbort = (): void => {
    reader.cancel(signal.reason).catch(() => {});
  };
  signal.addEventListener('abort', onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (e) {
        throw translateNetworkError(e, url, signal, limits.timeoutMs, true);
      }
      if (signal.aborted) throw translateNetworkError(signal.reason, url, signal, limits.timeoutMs, true);
      if (step.done) break;
      total += step.value.byteLength;
      if (total > limits.maxBytes) {
        reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(step.value);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** GET an https URL within the limits. Throws `NetworkError`; answers every status (only 200 has a body). */
export async function httpsGet(href: string, limits: HttpLimits, accept: string): Promise<HttpAnswer> {
  return httpsRequest(href, limits, { method: 'GET', accept });
}

/**
 * POST a JSON document to an https URL within the same limits. A redirect is
 * not followed (a POST is not repeated elsewhere): it is a bad answer. The
 * body of the answer is read whatever the status (a VKS server explains its
 * refusals in JSON), still capped.
 */
export async function httpsPostJson(href: string, limits: HttpLimits, document: unknown): Promise<HttpAnswer> {
  return httpsRequest(href, limits, { method: 'POST', accept: 'application/json', json: JSON.stringify(document) });
}

interface RequestSpec {
  method: 'GET' | 'POST';
  accept: string;
  json?: string;
}

async function httpsRequest(href: string, limits: HttpLimits, spec: RequestSpec): Promise<HttpAnswer> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let url = new URL(href);
  for (let hop = 0; ; hop++) {
    if (url.protocol !== 'https:')
      throw new NetworkError(
        'network-bad-response',
        `refused to follow a redirect to ${url.protocol}//${url.host} (https only)`,
        url.href,
        hop > 0,
      );
    let res: Response;
    try {
      res = await limits.fetcher(url.href, {
        method: spec.method,
        redirect: 'manual',
        signal,
        headers: {
          accept: spec.accept,
          'user-agent': 'Sealpost',
          ...(spec.json !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(spec.json !== undefined ? { body: spec.json } : {}),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (e) {
      throw translateNetworkError(e, url, signal, limits.timeoutMs);
    }
    if ([301, 302, 303, 307, 308].includes(res.status)) {
      discard(res);
      if (spec.method !== 'GET')
        throw new NetworkError('network-bad-response', `${url.hostname} answered a ${spec.method} with a redirect`, url.href, true);
      const location = res.headers.get('location');
      if (!location)
        throw new NetworkError('network-bad-response', `${url.hostname} answered a redirect without a location`, url.href, true);
      if (hop >= MAX_REDIRECTS)
        throw new NetworkError('network-bad-response', `more than ${MAX_REDIRECTS} redirects from ${url.hostname}`, url.href, true);
      try {
        url = new URL(location, url);
      } catch {
        throw new NetworkError('network-bad-response', `${url.hostname} redirected to an invalid address`, url.href, true);
      }
      continue;
    }
    if (res.status !== 200 && spec.method === 'GET') {
      discard(res);
      return { url: url.href, status: res.status, body: null };
    }
    return { url: url.href, status: res.status, body: await readCapped(res, url, limits, signal) };
  }
}
