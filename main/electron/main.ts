import * as electron from 'electron';
import { fileURLToPath } from 'node:url';
import { MailtoLinks } from './mailto-handler.ts';
import { prepareShell, startShell } from './shell.ts';
import { isSmokeTest, runSmokeTest } from './smoke.ts';

/**
 * The Electron main process entry (bundled to dist/main/electron.mjs). All
 * the wiring is in shell.ts, which takes the electron API as a parameter so
 * that it can be tested without Electron; this file only connects the two.
 */
const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));
// mailto: links can arrive before the app is ready (macOS open-url): they wait here for the window.
const links = new MailtoLinks();
const paths = {
  renderer: here('../renderer/'),
  preload: here('../preload/preload.cjs'),
  keyringEntry: here('../keyring/utility.mjs'),
};

if (isSmokeTest(process.argv)) {
  // `--smoke-test` (npm run smoke, or the packaged app): the shell in a throwaway profile, checked from inside (smoke.ts).
  void runSmokeTest(electron, paths, { write: (line) => void process.stdout.write(`${line}\n`) })
    .catch((error: unknown) => {
      process.stdout.write(`not ok - smoke test: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    })
    .then((code) => electron.app.exit(code));
} else if (prepareShell(electron, links)) {
  electron.app
    .whenReady()
    .then(() => startShell(electron, paths, { links, argv: process.argv }))
    .catch((error: unknown) => {
      // Without a window or a keyring there is no app: say so, and quit.
      electron.dialog.showErrorBox('Sealpost could not start', error instanceof Error ? error.message : String(error));
      electron.app.exit(1);
    });
}
