// Before any module that makes schemas (see schema-config.ts).
import './lib/schema-config.ts';
import { mount } from 'svelte';
import DOMPurify from 'dompurify';
import App from './App.svelte';
import { AppState } from './lib/app.svelte.ts';
import { sanitizeMailHtml } from './lib/sanitize.ts';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

try {
  // Imported here, not at the top: without the bridge the page says why instead of staying blank.
  const { bridge } = await import('./lib/bridge.ts');
  // One DOMPurify instance of this window, used only by the reader's sanitizer.
  const purify = DOMPurify(window);
  const app = new AppState(bridge, (parts, allowRemote) => sanitizeMailHtml(purify, parts, { allowRemote }));
  mount(App, { target, props: { app } });
  void app.start();
} catch (error) {
  const message = document.createElement('p');
  message.className = 'fatal';
  message.setAttribute('role', 'alert');
  message.textContent = error instanceof Error ? error.message : 'Sealpost could not start.';
  target.replaceChildren(message);
}
