import type { SealpostBridge } from '../../../app/ipc/contract.ts';
import type { Settings } from '../../../app/mail.ts';
import { callBridge, type UiError } from './outcome.ts';

/**
 * The settings main starts from (app/mail.ts DEFAULT_SETTINGS, repeated here
 * so the renderer does not bundle the schema library for one constant; a
 * test checks that the two stay equal). Shown until `settings.get` answers.
 */
export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  encrypt: 'when-possible',
  sign: true,
  unlockMinutes: 30,
  remoteContent: 'ask',
  theme: 'system',
  notifications: true,
  preferEncrypt: 'nopreference',
  keyRefresh: true,
});

export const ENCRYPT_CHOICES: readonly { value: Settings['encrypt']; label: string; hint: string }[] = [
  { value: 'when-possible', label: 'When possible', hint: 'Encrypt whenever every recipient has a usable key.' },
  { value: 'always', label: 'Always', hint: 'Encrypt every message; ask before sending to someone without a key.' },
  { value: 'never', label: 'Only when I turn it on', hint: 'Messages are not encrypted unless you switch encryption on.' },
];

export const THEME_CHOICES: readonly { value: Settings['theme']; label: string }[] = [
  { value: 'system', label: 'Follow the system' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** The theme drawn: the user's choice, or the system's when the choice is "system". */
export function effectiveTheme(theme: Settings['theme'], systemDark: boolean): 'light' | 'dark' {
  if (theme === 'system') return systemDark ? 'dark' : 'light';
  return theme;
}

export class SettingsState {
  settings = $state<Settings>({ ...DEFAULT_SETTINGS });
  loaded = $state(false);
  error = $state<UiError | null>(null);
  /** The setting being saved, for a busy mark next to it. */
  saving = $state<keyof Settings | null>(null);
  /** A short confirmation after a save. */
  notice = $state<string | null>(null);
  readonly #bridge: SealpostBridge;

  constructor(bridge: SealpostBridge) {
    this.#bridge = bridge;
  }

  async load(): Promise<boolean> {
    const r = await callBridge(this.#bridge, 'settings.get', {});
    if (!r.ok) {
      this.error = r.error;
      return false;
    }
    this.settings = { ...DEFAULT_SETTINGS, ...r.value };
    this.loaded = true;
    this.error = null;
    return true;
  }

  /** Change one setting: shown at once, saved by main, put back when main refuses. */
  async set<K extends keyof Settings>(key: K, value: Settings[K]): Promise<boolean> {
    const before = this.settings[key];
    if (before === value) return true;
    this.settings = { ...this.settings, [key]: value };
    this.saving = key;
    this.notice = null;
    const r = await callBridge(this.#bridge, 'settings.set', { [key]: value });
    this.saving = null;
    if (!r.ok) {
      this.settings = { ...this.settings, [key]: before };
      this.error = r.error;
      return false;
    }
    this.settings = { ...DEFAULT_SETTINGS, ...r.value };
    this.error = null;
    this.notice = 'Saved.';
    return true;
  }
}
