import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * The renderer build (run by build/bundle.ts through Vite's API). The output
 * is loaded from app://sealpost/ under a strict CSP (main/electron/csp.ts):
 * relative URLs, external ES modules only, CSS in files, no inlined assets
 * (a data: font or script would be refused), no modulepreload polyfill
 * (Chromium has modulepreload; the polyfill would be extra code).
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [svelte({ configFile: false, compilerOptions: { runes: true } })],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome140', // Electron 45
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    sourcemap: false,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
