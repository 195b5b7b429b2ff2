/**
 * Renderer code for Node tests. A `.svelte.ts` module uses runes, so it is
 * compiled here the way Vite does it: TypeScript stripped (esbuild), then
 * Svelte's compileModule (client output), bundled with Svelte's runtime into
 * one temporary module. Components (`.svelte`) compile for `generate`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { compile, compileModule } from 'svelte/compiler';
import type { EventName, EventPayload, ProcedureInput, ProcedureName, ProcedureOutput, SealpostBridge } from '../../../app/ipc/contract.ts';
import type { AppError, Result } from '../../../app/result.ts';

export const sourceDir = fileURLToPath(new URL('../../../renderer/src/', import.meta.url));

let scratch: string | null = null;
function scratchDir(): string {
  if (!scratch) {
    scratch = mkdtempSync(join(tmpdir(), 'sealpost-renderer-'));
    process.on('exit', () => rmSync(scratch!, { recursive: true, force: true }));
  }
  return scratch;
}

let counter = 0;

/** Bundle renderer code for Node (or, with platform 'browser', for a page), compiling Svelte modules and components for `generate`. */
export async function bundleRenderer(
  entry: { path: string } | { contents: string },
  generate: 'client' | 'server' = 'client',
  platform: 'node' | 'browser' = 'node',
): Promise<{ file: string; url: string; code: string }> {
  const result = await esbuild.build({
    ...('path' in entry ? { entryPoints: [entry.path] } : { stdin: { contents: entry.contents, resolveDir: sourceDir, loader: 'ts' } }),
    bundle: true,
    write: false,
    format: platform === 'node' ? 'esm' : 'iife',
    platform,
    target: platform === 'node' ? 'node24' : 'chrome120',
    conditions: platform === 'node' ? ['production'] : ['production', 'browser'],
    logLevel: 'error',
    plugins: [
      {
        name: 'svelte-module',
        setup(build) {
          build.onLoad({ filter: /\.svelte\.ts$/ }, async (args) => {
            const ts = await esbuild.transform(await readFile(args.path, 'utf8'), { loader: 'ts', target: 'esnext' });
            const compiled = compileModule(ts.code, { filename: args.path, generate, dev: false });
            return { contents: compiled.js.code, loader: 'js', resolveDir: join(args.path, '..') };
          });
          build.onLoad({ filter: /\.svelte$/ }, async (args) => {
            const compiled = compile(await readFile(args.path, 'utf8'), { filename: args.path, generate, dev: false, css: 'external' });
            return { contents: compiled.js.code, loader: 'js', resolveDir: join(args.path, '..') };
          });
        },
      },
    ],
  });
  const code = result.outputFiles[0]!.text;
  const file = join(scratchDir(), `bundle-${process.pid}-${++counter}.mjs`);
  writeFileSync(file, code);
  return { file, url: pathToFileURL(file).href, code };
}

/** Import a renderer module (a `.svelte.ts` or plain `.ts`) compiled for Node. */
export async function loadRenderer<T>(relativePath: string): Promise<T> {
  const { url } = await bundleRenderer({ path: join(sourceDir, relativePath) });
  return (await import(url)) as T;
}

type Handler = (input: any) => unknown;

/**
 * A bridge backed by a table of answers: each procedure answers with the
 * handler's value (or a thrown `{code, message, details?}` becomes an error
 * Result; details default to none, and the renderer checks them against the registry).
 * Records every call; `emit` sends an event to the subscribers.
 */
export function fakeBridge(handlers: Partial<Record<ProcedureName, Handler>> = {}) {
  const calls: { procedure: ProcedureName; input: any }[] = [];
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const bridge = {
    async call<P extends ProcedureName>(procedure: P, input: ProcedureInput<P>): Promise<Result<ProcedureOutput<P>>> {
      calls.push({ procedure, input });
      const handler = handlers[procedure];
      if (!handler) return { ok: false, error: { code: 'internal', message: `no fake for ${procedure}`, retryable: false, details: {} } };
      try {
        return { ok: true, value: (await handler(input)) as ProcedureOutput<P> };
      } catch (e) {
        const err = e as { code?: string; message?: string; details?: object };
        const error = { code: err.code ?? 'internal', message: err.message ?? 'failed', retryable: false, details: err.details ?? {} };
        // As main sends it: whether it matches the registry is for the renderer's bridge side to check.
        return { ok: false, error: error as AppError };
      }
    },
    on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void {
      const set = listeners.get(event) ?? new Set();
      set.add(handler as (payload: unknown) => void);
      listeners.set(event, set);
      return () => set.delete(handler as (payload: unknown) => void);
    },
  } satisfies SealpostBridge;
  return {
    bridge: bridge,
    calls,
    handlers,
    emit<E extends EventName>(event: E, payload: EventPayload<E>) {
      for (const l of listeners.get(event) ?? []) l(payload);
    },
    listenerCount(): number {
      return [...listeners.values()].reduce((n, s) => n + s.size, 0);
    },
    callsOf(procedure: ProcedureName) {
      return calls.filter((c) => c.procedure === procedure).map((c) => c.input);
    },
  };
}

/** Wait for a condition set by promises still running. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!condition()) throw new Error(`timed out waiting: ${what}`);
}

/** Sample InspectReport with overrides (the contract's shape). */
export function sampleReport(over: Record<string, unknown> = {}): any {
  return {
    from: { name: 'Bob Example', address: 'bob@example.org' },
    to: [{ name: 'Alice', address: 'alice@example.org' }],
    cc: [],
    date: '2026-03-04T10:20:00.000Z',
    messageId: '<m1@example.org>',
    subject: 'Protected subject',
    outerSubject: '...',
    outerFrom: { name: 'Bob Example', address: 'bob@example.org' },
    outerTo: [{ name: 'Alice', address: 'alice@example.org' }],
    outerCc: [],
    outerDate: '2026-03-04T10:20:00.000Z',
    encryption: { status: 'none', integrity: null, recipients: [], protectedHeaders: false, lockedKeys: [] },
    signature: { status: 'none', signer: null, signerMatchesFrom: false, created: null },
    parts: [],
    text: 'Hello Alice,\nsee you.\n',
    attachments: [],
    keys: [],
    warnings: [],
    ...over,
  };
}

/** Every state class and helper of renderer/src/lib in one bundle (one Svelte runtime shared by all of them). */
export const LIB_ENTRY = [
  "export * from './lib/app.svelte.ts';",
  "export * from './lib/accounts.svelte.ts';",
  "export * from './lib/addresses.ts';",
  "export * from './lib/composer.svelte.ts';",
  "export * from './lib/format.ts';",
  "export * from './lib/keys.svelte.ts';",
  "export * from './lib/mail.svelte.ts';",
  "export * from './lib/message-list.svelte.ts';",
  "export * from './lib/outcome.ts';",
  "export * from './lib/reader.svelte.ts';",
  "export * from './lib/reply.ts';",
  "export * from './lib/security.ts';",
  "export * from './lib/settings.svelte.ts';",
  "export * from './lib/setup.svelte.ts';",
  "export * from './lib/shortcuts.ts';",
  "export * from './lib/unlock.svelte.ts';",
  "export * from './lib/virtual-list.ts';",
  "export { flushSync } from 'svelte';",
].join('\n');

export type Lib = typeof import('../../../renderer/src/lib/app.svelte.ts') &
  typeof import('../../../renderer/src/lib/accounts.svelte.ts') &
  typeof import('../../../renderer/src/lib/addresses.ts') &
  typeof import('../../../renderer/src/lib/composer.svelte.ts') &
  typeof import('../../../renderer/src/lib/format.ts') &
  typeof import('../../../renderer/src/lib/keys.svelte.ts') &
  typeof import('../../../renderer/src/lib/mail.svelte.ts') &
  typeof import('../../../renderer/src/lib/message-list.svelte.ts') &
  typeof import('../../../renderer/src/lib/outcome.ts') &
  typeof import('../../../renderer/src/lib/reader.svelte.ts') &
  typeof import('../../../renderer/src/lib/reply.ts') &
  typeof import('../../../renderer/src/lib/security.ts') &
  typeof import('../../../renderer/src/lib/settings.svelte.ts') &
  typeof import('../../../renderer/src/lib/setup.svelte.ts') &
  typeof import('../../../renderer/src/lib/shortcuts.ts') &
  typeof import('../../../renderer/src/lib/unlock.svelte.ts') &
  typeof import('../../../renderer/src/lib/virtual-list.ts') & { flushSync: typeof import('svelte').flushSync };

let lib: Promise<Lib> | null = null;
export function loadLib(): Promise<Lib> {
  lib ??= bundleRenderer({ contents: LIB_ENTRY }).then(({ url }) => import(url) as Promise<Lib>);
  return lib;
}
