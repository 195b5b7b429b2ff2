import type { ProcedureInput, ProcedureName, ProcedureOutput, SealpostBridge } from '../../../app/ipc/contract.ts';
import type { KeySummary, Trust } from '../../../app/keys.ts';
import { plural, primaryUserId } from './format.ts';

/** The same cap main enforces (app/ipc/contract.ts MAX_IMPORT_BYTES); checked here too to answer at once. */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;
export const MIN_PASSPHRASE_LENGTH = 8;

export interface Notice {
  kind: 'ok' | 'error';
  text: string;
}

type Busy = null | 'import' | 'generate' | 'lock' | 'trust';

export const EXPIRY_CHOICES = [
  { value: '1y', label: '1 year', seconds: 365 * 86_400 },
  { value: '2y', label: '2 years', seconds: 2 * 365 * 86_400 },
  { value: '5y', label: '5 years', seconds: 5 * 365 * 86_400 },
  { value: 'never', label: 'Never', seconds: null },
] as const;
export type ExpiryChoice = (typeof EXPIRY_CHOICES)[number]['value'];

/** The "generate a key" form: its fields and what is wrong with them, as the user types. */
export class GenerateForm {
  name = $state('');
  email = $state('');
  expiry = $state<ExpiryChoice>('2y');
  passphrase = $state('');
  repeat = $state('');
  /** Set on the first attempt to submit: problems are shown from then on, not while the user starts typing. */
  attempted = $state(false);

  /** The first thing that stops the form from being sent, or null. */
  problem = $derived.by((): string | null => {
    const name = this.name.trim();
    const email = this.email.trim();
    if (!name) return 'Enter your name.';
    if (/[<>\p{Cc}]/u.test(name)) return 'The name cannot contain < or > or line breaks.';
    if (!/^[^\s@<>]+@[^\s@<>]+$/u.test(email)) return 'Enter your e-mail address (name@example.org).';
    if (this.passphrase.length < MIN_PASSPHRASE_LENGTH) return `The passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters.`;
    if (this.passphrase !== this.repeat) return 'The two passphrases differ.';
    return null;
  });

  input(): ProcedureInput<'keys.generate'> {
    const choice = EXPIRY_CHOICES.find((c) => c.value === this.expiry) ?? EXPIRY_CHOICES[1];
    return {
      name: this.name.trim(),
      email: this.email.trim(),
      algo: 'curve25519',
      expiresInSeconds: choice.seconds,
      passphrase: this.passphrase,
    };
  }

  /** Forget the passphrases (after use, or when the form is left). */
  clearSecrets(): void {
    this.passphrase = '';
    this.repeat = '';
  }

  reset(): void {
    this.name = '';
    this.email = '';
    this.expiry = '2y';
    this.attempted = false;
    this.clearSecrets();
  }
}

/**
 * The Keys screen's state and actions. Components only show it and call its
 * methods; every call goes through the bridge (app/ipc/contract.ts), whose
 * answers are `Result` values: an error is shown with its message.
 */
export class KeysState {
  keys = $state<KeySummary[]>([]);
  /** The list has been loaded at least once. */
  loaded = $state(false);
  loading = $state(false);
  /** Why the list could not be loaded, if it could not. */
  loadError = $state<string | null>(null);
  /** The outcome of the last action (import, generate, lock, trust). */
  notice = $state<Notice | null>(null);
  busy = $state<Busy>(null);

  ownKeys = $derived(this.keys.filter((k) => k.hasSecret));
  otherKeys = $derived(this.keys.filter((k) => !k.hasSecret));

  readonly form = new GenerateForm();
  readonly #bridge: SealpostBridge;
  #generation = 0;

  constructor(bridge: SealpostBridge) {
    this.#bridge = bridge;
  }

  /** Load the list and follow changes; returns the function that stops following. */
  start(): () => void {
    const offChanged = this.#bridge.on('keyring.changed', () => void this.refresh());
    void this.refresh();
    return offChanged;
  }

  async #call<P extends ProcedureName>(procedure: P, input: ProcedureInput<P>): Promise<{ ok: true; value: ProcedureOutput<P> } | { ok: false; message: string }> {
    try {
      const result = await this.#bridge.call(procedure, input);
      return result.ok ? { ok: true, value: result.value } : { ok: false, message: result.error.message };
    } catch {
      return { ok: false, message: 'The app did not answer. Restart Sealpost if this keeps happening.' };
    }
  }

  async refresh(): Promise<void> {
    const generation = ++this.#generation;
    this.loading = true;
    const result = await this.#call('keys.list', {});
    if (generation !== this.#generation) return; // a newer refresh is under way
    this.loading = false;
    if (result.ok) {
      this.keys = result.value;
      this.loadError = null;
      this.loaded = true;
    } else {
      this.loadError = result.message;
    }
  }

  async #run(busy: Exclude<Busy, null>, action: () => Promise<Notice>): Promise<boolean> {
    if (this.busy) return false;
    this.busy = busy;
    try {
      this.notice = await action();
      return this.notice.kind === 'ok';
    } finally {
      this.busy = null;
    }
  }

  /** Import the keys in a file the user picked (read as bytes here, parsed only by the keyring). */
  importFile(file: Blob & { name?: string }): Promise<boolean> {
    return this.#run('import', async () => {
      const label = file.name ? `"${file.name}"` : 'The file';
      if (file.size === 0) return { kind: 'error', text: `${label} is empty.` };
      if (file.size > MAX_IMPORT_BYTES) return { kind: 'error', text: `${label} is larger than 10 MiB; key files are much smaller.` };
      let data: Uint8Array;
      try {
        data = new Uint8Array(await file.arrayBuffer());
      } catch {
        return { kind: 'error', text: `${label} could not be read.` };
      }
      const result = await this.#call('keys.import', { data, source: 'file' });
      if (!result.ok) return { kind: 'error', text: result.message };
      await this.refresh();
      return { kind: 'ok', text: importSummary(result.value) };
    });
  }

  /** Generate a key pair from the form; the passphrases are cleared whatever the outcome. */
  generate(): Promise<boolean> {
    const form = this.form;
    if (this.busy) return Promise.resolve(false);
    form.attempted = true;
    if (form.problem) return Promise.resolve(false);
    const input = form.input();
    form.clearSecrets();
    return this.#run('generate', async () => {
      const result = await this.#call('keys.generate', input);
      if (!result.ok) return { kind: 'error', text: result.message };
      form.reset();
      await this.refresh();
      return { kind: 'ok', text: `Generated a key for ${primaryUserId(result.value)}.` };
    });
  }

  setTrust(fingerprint: string, trust: Trust): Promise<boolean> {
    return this.#run('trust', async () => {
      const result = await this.#call('keys.trust', { fingerprint, trust });
      if (!result.ok) {
        await this.refresh(); // put the control back to the stored value
        return { kind: 'error', text: result.message };
      }
      await this.refresh();
      return { kind: 'ok', text: `Trust for ${primaryUserId(result.value)} set.` };
    });
  }

  /** Forget every unlocked secret key in the keyring now. */
  lock(): Promise<boolean> {
    return this.#run('lock', async () => {
      const result = await this.#call('session.lock', {});
      return result.ok ? { kind: 'ok', text: 'Keys locked: a passphrase is needed again to use them.' } : { kind: 'error', text: result.message };
    });
  }
}

export function importSummary(outcome: ProcedureOutput<'keys.import'>): string {
  const parts: string[] = [];
  if (outcome.changed.length === 0) parts.push('No new keys or changes in the file.');
  else parts.push(`Imported or updated ${plural(outcome.changed.length, 'key', 'keys')}: ${outcome.changed.map(primaryUserId).join(', ')}.`);
  if (outcome.problems.length > 0) {
    parts.push(`${plural(outcome.problems.length, 'item was', 'items were')} skipped: ${outcome.problems.map((p) => p.message).join('; ')}.`);
  }
  return parts.join(' ');
}
