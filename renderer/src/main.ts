import { mount } from 'svelte';
import App from './App.svelte';
import { KeysState } from './lib/keys.svelte.ts';
import './app.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

try {
  // Imported here, not at the top: without the bridge the page says why instead of staying blank.
  const { bridge } = await import('./lib/bridge.ts');
  mount(App, { target, props: { keys: new KeysState(bridge) } });
} catch (error) {
  const message = document.createElement('p');
  message.className = 'fatal';
  message.setAttribute('role', 'alert');
  message.textContent = error instanceof Error ? error.message : 'Sealpost could not start.';
  target.replaceChildren(message);
}
