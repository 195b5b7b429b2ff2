/**
 * The app's daily key refresh: correspondents' keys asked again from their
 * own sources (main/usecases/refresh-keys.ts), so that a revocation or a new
 * expiry reaches the keyring without the user asking.
 *
 * The first run comes a few minutes after start (start-up stays quick and
 * quiet on the network), then the schedule looks again every few hours.
 * `refreshKeys` itself passes over a key refreshed in the last 24 hours, so
 * each key is asked at most once a day, and a key whose sources were all out
 * of reach is tried again at the next look, not a day later. Runs never
 * overlap: the next one is timed from the end of the last, and a run asked
 * for while one is going joins it.
 *
 * Being offline is normal: a run's failures are logged (one quiet line, no
 * key material), never shown as an error. Keys that changed are announced as
 * `keys.refresh` announces them (`keyring.changed`), so the Keys screen and
 * an open composer reload and a revoked key stops being used. The setting
 * "Refresh keys from key servers daily" (`keyRefresh`) is read before each
 * run: switched off, the run does nothing.
 *
 * No timer keeps the process alive (unref), and `stop` waits for a running
 * refresh to end, so quitting closes the keyring after it.
 */
import { isSealpostError } from '../../app/errors.ts';
import type { KeyringCalls } from '../../app/node/keyring-client.ts';
import type { LookupOptions } from '../discovery/lookup.ts';
import { refreshKeys, type RefreshReport } from '../usecases/refresh-keys.ts';

/** After start: long enough for the window, the first sync and the user's first clicks. */
export const FIRST_REFRESH_DELAY_MS = 5 * 60 * 1000;
/** Between looks: a key due for its daily refresh waits at most this long past its day. */
export const REFRESH_CHECK_INTERVAL_MS = 4 * 60 * 60 * 1000;

/** Timers as the schedule uses them; a test passes its own and fires them at will. */
export interface ScheduleTimers {
  set(run: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const REAL_TIMERS: ScheduleTimers = {
  set: (run, ms) => setTimeout(run, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface KeyRefreshScheduleOptions {
  /** The keyring, read at each run (a supervisor may have replaced it). */
  keyring: () => KeyringCalls;
  /** How the network is reached (a test's transport, other keyservers); default: the real ones. */
  lookup?: Pick<LookupOptions, 'fetcher' | 'keyservers' | 'timeoutMs' | 'maxBytes'>;
  /** Whether the user wants it (the `keyRefresh` setting), read before each run; default yes. */
  enabled?: () => Promise<boolean>;
  /** Keys that changed in a run (the handlers' `keyring.changed`). */
  changed: (fingerprints: string[]) => void;
  /** One line per run that met failures; default: a process warning. */
  log?: (message: string) => void;
  timers?: ScheduleTimers;
  now?: () => Date;
  firstDelayMs?: number;
  intervalMs?: number;
}

export class KeyRefreshSchedule {
  readonly #options: KeyRefreshScheduleOptions;
  readonly #timers: ScheduleTimers;
  readonly #log: (message: string) => void;
  #timer: unknown = null;
  #running: Promise<RefreshReport[] | null> | null = null;
  #started = false;
  #stopped = false;

  constructor(options: KeyRefreshScheduleOptions) {
    this.#options = options;
    this.#timers = options.timers ?? REAL_TIMERS;
    this.#log = options.log ?? ((message) => process.emitWarning(message, { code: 'SEALPOST_KEY_REFRESH' }));
  }

  /** Times the first run (`firstDelayMs` from now); the later ones follow each run's end. Once only. */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    this.#schedule(this.#options.firstDelayMs ?? FIRST_REFRESH_DELAY_MS);
  }

  /**
   * One run now, or the one already going: the reports, or null when the
   * setting is off or the schedule stopped. Never throws.
   */
  runNow(): Promise<RefreshReport[] | null> {
    if (this.#stopped) return Promise.resolve(null);
    this.#running ??= this.#run().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** No more runs; waits for the one going, if any. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) this.#timers.clear(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = this.#timers.set(() => {
      this.#timer = null;
      void this.runNow().then(() => this.#schedule(this.#options.intervalMs ?? REFRESH_CHECK_INTERVAL_MS));
    }, ms);
  }

  async #run(): Promise<RefreshReport[] | null> {
    try {
      if (this.#options.enabled && !(await this.#options.enabled())) return null;
      // Stopped while the setting was read: quitting does not wait for the network.
      if (this.#stopped) return null;
      const reports = await refreshKeys({
        keyring: this.#options.keyring(),
        ...this.#options.lookup,
        ...(this.#options.now ? { now: this.#options.now } : {}),
      });
      const updated = [...new Set(reports.filter((r) => r.changes.length > 0).map((r) => r.fingerprint))];
      if (updated.length > 0) this.#announce(updated);
      const failed = reports.filter((r) => r.error);
      if (failed.length > 0) {
        const codes = [...new Set(failed.map((r) => r.error!.code))].join(', ');
        this.#quiet(`key refresh: ${failed.length} of ${reports.length} source(s) not reached or refused (${codes}); tried again later`);
      }
      return reports;
    } catch (e) {
      // The keyring unavailable (quitting), a settings file that cannot be read: the next look tries again.
      this.#quiet(`key refresh did not run: ${isSealpostError(e) ? e.code : 'internal'}`);
      return null;
    }
  }

  #announce(fingerprints: string[]): void {
    try {
      this.#options.changed(fingerprints);
    } catch {
      // a window that cannot be told reloads on its next action
    }
  }

  #quiet(message: string): void {
    try {
      this.#log(message);
    } catch {
      // logging is a courtesy
    }
  }
}
