#!/usr/bin/env node
// The `sealpost` command: the bundle from `npm run build` when present,
// otherwise the TypeScript source (Node 24 runs it directly).
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli/sealpost.mjs', import.meta.url);
await import(existsSync(bundle) ? bundle.href : new URL('../main/cli/sealpost.ts', import.meta.url).href);
