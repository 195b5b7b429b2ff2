import { homedir } from 'node:os';
import { join } from 'node:path';

/** The app's user-data folder (what Electron's app.getPath('userData') gives for "Sealpost"), unless SEALPOST_HOME says otherwise. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SEALPOST_HOME) return env.SEALPOST_HOME;
  switch (process.platform) {
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'Sealpost');
    case 'win32':
      return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Sealpost');
    default:
      return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'Sealpost');
  }
}
