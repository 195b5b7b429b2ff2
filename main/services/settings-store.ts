/**
 * The user's settings, `<profile>/settings.json`: read and checked against
 * the `Settings` schema of app/mail.ts on every read, written atomically
 * (temporary file, fsync, rename, fsync of the folder), so that a crash
 * leaves the old settings or the new ones.
 *
 * A missing file means the defaults. A field the file does not have (one
 * added by a later version) takes its default; a field the schema does not
 * know is dropped on the next write.
 *
 * A damaged file (not JSON, or a value the schema refuses) is never
 * replaced silently: reading gives the defaults and reports a warning, and
 * the file stays as it is. When the user then saves a setting, the damaged
 * file is first renamed to `settings.json.damaged-<time>` (its bytes are
 * kept, nothing is lost) and the new settings are written beside it, with
 * another warning naming the kept copy. The file holds preferences only, no
 * secrets and no mail, so replacing it this way is safe; refusing every
 * change instead would leave the user stuck with defaults and no way out
 * from within the app.
 *
 * A file that cannot be read at all (permissions, I/O) is an `io` error, on
 * reading and on writing alike: that is not damage, and the defaults would
 * hide it.
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ioDetails, SealpostError } from '../../app/errors.ts';
import { DEFAULT_SETTINGS, Settings } from '../../app/mail.ts';
import { writeFileAtomic } from '../../app/node/atomic-file.ts';

export const SETTINGS_FILE = 'settings.json';

export interface SettingsStoreOptions {
  /** The profile folder (Electron's userData; `--home` on the command line). */
  profile: string;
  /** A damaged file was found or set aside; the message names the file, never its content. Default: a process warning. */
  onWarning?: (message: string) => void;
  now?: () => number;
}

type Loaded = { settings: Settings; damaged: boolean };

export class SettingsStore {
  readonly path: string;
  readonly #warn: (message: string) => void;
  readonly #now: () => number;
  /** Writes one after another: two changes at once must not lose one of them. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: SettingsStoreOptions) {
    this.path = join(options.profile, SETTINGS_FILE);
    this.#warn = options.onWarning ?? ((message) => process.emitWarning(message, { code: 'SEALPOST_SETTINGS' }));
    this.#now = options.now ?? Date.now;
  }

  async #load(): Promise<Loaded> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { settings: { ...DEFAULT_SETTINGS }, damaged: false };
      throw new SealpostError(
        'io',
        `the settings file ${this.path} cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
        ioDetails(this.path, e),
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    const checked =
      value !== null && typeof value === 'object' && !Array.isArray(value) ? Settings.safeParse({ ...DEFAULT_SETTINGS, ...value }) : null;
    if (!checked?.success) {
      this.#warn(`the settings file ${this.path} is damaged; the default settings are used until a setting is saved`);
      return { settings: { ...DEFAULT_SETTINGS }, damaged: true };
    }
    return { settings: checked.data, damaged: false };
  }

  /** The settings: the file's, or the defaults when there is none or it is damaged. */
  async get(): Promise<Settings> {
    await this.#tail.catch(() => undefined);
    return (await this.#load()).settings;
  }

  /** Changes the given settings, keeps the others, and returns the result. */
  set(change: Partial<Settings>): Promise<Settings> {
    const run = this.#tail
      .catch(() => undefined)
      .then(async () => {
        const { settings, damaged } = await this.#load();
        const next = Settings.parse({ ...settings, ...change });
        if (damaged) {
          const kept = `${this.path}.damaged-${this.#now()}`;
          try {
            await rename(this.path, kept);
          } catch (e) {
            throw new SealpostError(
              'io',
              `the damaged settings file ${this.path} cannot be set aside (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
              ioDetails(this.path, e),
            );
          }
          this.#warn(`the damaged settings file was kept as ${kept}; new settings were written`);
        }
        try {
          await writeFileAtomic(this.path, `${JSON.stringify(next, null, 2)}\n`);
        } catch (e) {
          throw new SealpostError(
            'io',
            `the settings file ${this.path} cannot be written (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
            ioDetails(this.path, e),
          );
        }
        return next;
      });
    this.#tail = run;
    return run;
  }
}
