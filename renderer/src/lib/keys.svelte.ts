import type { ProcedureInput, ProcedureName, ProcedureOutput, SealpostBridge } from '../../../app/ipc/contract.ts';
import type { KeySummary, Trust } from '../../../app/keys.ts';
import { plural, primaryUserId, sameAddress } from './format.ts';
import { callBridge, type UiError } from './outcome.ts';
import { SetupMessageCreation, SetupMessageImport } from './setup-message.svelte.ts';

/** The same cap main enforces (app/ipc/contract.ts MAX_IMPORT_BYTES); checked here too to answer at once. */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;
export const MIN_PASSPHRASE_LENGTH = 8;

export interface Notice {
  kind: 'ok' | 'error';
  text: string;
}

type Busy =
  | null
  | 'import'
  | 'generate'
  | 'lock'
  | 'trust'
  | 'delete'
  | 'revoke'
  | 'expire'
  | 'passwd'
  | 'export'
  | 'backup'
  | 'revocation'
  | 'lookup'
  | 'details'
  | 'setup-import';

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

/** What the details panel shows next to the list: the key with its subkeys (`keys.show`). */
export interface ExportedKey {
  fingerprint: string;
  armored: string;
  filename: string;
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
  /** The outcome of the last action (import, generate, lock, trust...). */
  notice = $state<Notice | null>(null);
  busy = $state<Busy>(null);
  /** The search box: user ids, addresses, fingerprints and key ids. */
  query = $state('');
  /** The key whose details are open. */
  selected = $state<string | null>(null);
  /** `keys.show` for the selected key (with subkeys), once loaded. */
  details = $state<KeySummary | null>(null);
  /** The last export, for the download link and the text to copy. */
  exported = $state<ExportedKey | null>(null);
  /** The key made by the last generate, until its backup was offered. */
  generated = $state<KeySummary | null>(null);

  ownKeys = $derived(this.keys.filter((k) => k.hasSecret));
  otherKeys = $derived(this.keys.filter((k) => !k.hasSecret));
  filtered = $derived(filterKeys(this.keys, this.query));
  selectedKey = $derived(this.keys.find((k) => k.fingerprint === this.selected) ?? null);

  readonly form = new GenerateForm();
  /** Moving an own key to another device by Autocrypt Setup Message, and importing one. */
  readonly setupCreation: SetupMessageCreation;
  readonly setupImport: SetupMessageImport;
  readonly #bridge: SealpostBridge;
  #generation = 0;

  constructor(bridge: SealpostBridge) {
    this.#bridge = bridge;
    this.setupCreation = new SetupMessageCreation(bridge);
    this.setupImport = new SetupMessageImport(bridge);
  }

  /** Load the list and follow changes; returns the function that stops following. */
  start(): () => void {
    const offChanged = this.#bridge.on('keyring.changed', () => void this.refresh());
    void this.refresh();
    return offChanged;
  }

  async #call<P extends ProcedureName>(
    procedure: P,
    input: ProcedureInput<P>,
  ): Promise<{ ok: true; value: ProcedureOutput<P> } | { ok: false; message: string; error: UiError }> {
    const r = await callBridge(this.#bridge, procedure, input);
    return r.ok ? r : { ok: false, message: r.error.message, error: r.error };
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
      if (this.selected && !this.keys.some((k) => k.fingerprint === this.selected)) this.select(null);
      else if (this.selected) void this.#loadDetails(this.selected);
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

  /** Import the keys in a file the user picked or dropped (read as bytes here, parsed only by the keyring). */
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
      return this.#import(data);
    });
  }

  /** Import armored key text the user pasted. */
  importText(text: string): Promise<boolean> {
    return this.#run('import', async () => {
      if (!text.trim()) return { kind: 'error', text: 'Paste the key text first (it starts with -----BEGIN PGP).' };
      const data = new TextEncoder().encode(text);
      if (data.byteLength > MAX_IMPORT_BYTES) return { kind: 'error', text: 'The text is larger than 10 MiB; key files are much smaller.' };
      return this.#import(data);
    });
  }

  async #import(data: Uint8Array): Promise<Notice> {
    const result = await this.#call('keys.import', { data, source: 'file' });
    if (!result.ok) return { kind: 'error', text: result.message };
    this.lastImported = result.value.changed;
    await this.refresh();
    return { kind: 'ok', text: importSummary(result.value) };
  }

  /** The keys the last import added or changed. */
  lastImported = $state<KeySummary[]>([]);

  /**
   * Import the key of the Autocrypt Setup Message in `setupImport` (its
   * errors are shown there); the imported key is then selected and shown.
   */
  async importSetupMessage(): Promise<boolean> {
    if (this.busy) return false;
    this.busy = 'setup-import';
    try {
      const changed = await this.setupImport.submit();
      if (changed === null) return false;
      this.setupImport.reset();
      this.lastImported = changed;
      await this.refresh();
      const own = changed.find((k) => k.hasSecret) ?? changed[0];
      if (own) this.select(own.fingerprint);
      const who = own ? primaryUserId(own) : '';
      const others = own ? own.emails.filter((e) => !who.includes(e)) : [];
      this.notice = own
        ? {
            kind: 'ok',
            text: `Imported your key ${who} from the setup message: it is now your own key${others.length > 0 ? ` for ${others.join(', ')}` : ''}, used to sign and to read mail encrypted to you.`,
          }
        : { kind: 'ok', text: 'The key in this setup message is already your own key here; nothing changed.' };
      return true;
    } finally {
      this.busy = null;
    }
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
      this.generated = result.value;
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
      const what = trust === 'verified' ? 'marked as verified' : trust === 'rejected' ? 'marked as rejected' : 'marked as not verified';
      return { kind: 'ok', text: `The key of ${primaryUserId(result.value)} is ${what}.` };
    });
  }

  /** Forget every unlocked secret key in the keyring now. */
  lock(): Promise<boolean> {
    return this.#run('lock', async () => {
      const result = await this.#call('session.lock', {});
      return result.ok
        ? { kind: 'ok', text: 'Keys locked: a passphrase is needed again to use them.' }
        : { kind: 'error', text: result.message };
    });
  }

  /** Open a key's details (null closes them); its subkeys come from `keys.show`. */
  select(fingerprint: string | null): void {
    this.selected = fingerprint;
    this.details = null;
    if (this.exported?.fingerprint !== fingerprint) this.exported = null;
    if (fingerprint) void this.#loadDetails(fingerprint);
  }

  async #loadDetails(fingerprint: string): Promise<void> {
    const result = await this.#call('keys.show', { query: fingerprint });
    if (this.selected !== fingerprint) return;
    this.details = result.ok ? result.value : null;
  }

  /** The public key as armored text (never the secret part: the contract refuses it). */
  exportKey(fingerprint: string): Promise<boolean> {
    return this.#run('export', async () => {
      const result = await this.#call('keys.export', { query: fingerprint, secret: false, minimal: false });
      if (!result.ok) return { kind: 'error', text: result.message };
      const key = this.keys.find((k) => k.fingerprint === fingerprint);
      this.exported = {
        fingerprint,
        armored: result.value.armored,
        filename: exportFilename(key ?? { keyId: fingerprint.slice(-16), emails: [] }),
      };
      return { kind: 'ok', text: 'The public key is ready to save or copy.' };
    });
  }

  /** Delete a key; `secret` deletes the secret part too (the screen asks twice for that). */
  deleteKey(fingerprint: string, secret: boolean): Promise<boolean> {
    return this.#run('delete', async () => {
      const key = this.keys.find((k) => k.fingerprint === fingerprint);
      const result = await this.#call('keys.delete', { fingerprint, secret });
      if (!result.ok) return { kind: 'error', text: result.message };
      if (this.selected === fingerprint) this.select(null);
      await this.refresh();
      return { kind: 'ok', text: `Deleted the key of ${key ? primaryUserId(key) : fingerprint}.` };
    });
  }

  revoke(fingerprint: string, reason: string, passphrase: string | null): Promise<boolean> {
    return this.#run('revoke', async () => {
      const result = await this.#call('keys.revoke', { fingerprint, reason: reason.trim() || null, passphrase: passphrase || null });
      if (!result.ok) return { kind: 'error', text: result.message };
      await this.refresh();
      return {
        kind: 'ok',
        text: `The key of ${primaryUserId(result.value)} is revoked. Send the updated public key to the people who have it.`,
      };
    });
  }

  extendExpiry(fingerprint: string, choice: ExpiryChoice, passphrase: string | null): Promise<boolean> {
    return this.#run('expire', async () => {
      const seconds = (EXPIRY_CHOICES.find((c) => c.value === choice) ?? EXPIRY_CHOICES[1]).seconds;
      const result = await this.#call('keys.expire', { fingerprint, expiresInSeconds: seconds, passphrase: passphrase || null });
      if (!result.ok) return { kind: 'error', text: result.message };
      await this.refresh();
      return {
        kind: 'ok',
        text: `New expiry set for ${primaryUserId(result.value)}. Send the updated public key to the people who have it.`,
      };
    });
  }

  changePassphrase(fingerprint: string, oldPassphrase: string, newPassphrase: string): Promise<boolean> {
    return this.#run('passwd', async () => {
      if (newPassphrase.length > 0 && newPassphrase.length < MIN_PASSPHRASE_LENGTH) {
        return { kind: 'error', text: `The new passphrase needs at least ${MIN_PASSPHRASE_LENGTH} characters.` };
      }
      const result = await this.#call('keys.passwd', {
        fingerprint,
        oldPassphrase: oldPassphrase || null,
        newPassphrase: newPassphrase || null,
      });
      if (!result.ok) return { kind: 'error', text: result.message };
      return { kind: 'ok', text: 'The passphrase is changed.' };
    });
  }

  /** Save the secret key, in its passphrase-protected form, where the user picks (main shows the dialog). */
  backup(fingerprint: string): Promise<boolean> {
    return this.#run('backup', async () => {
      const result = await this.#call('keys.backup', { fingerprint });
      if (!result.ok) return { kind: 'error', text: result.message };
      if (!result.value.saved) return { kind: 'error', text: 'The backup was not saved (the dialog was cancelled).' };
      this.backedUp = [...new Set([...this.backedUp, fingerprint])];
      return {
        kind: 'ok',
        text: 'Backup saved. Keep it somewhere safe, away from this computer: it is your key, protected by your passphrase.',
      };
    });
  }

  /**
   * Save the key's revocation certificate where the user picks. It is kept
   * apart from the backup: importing a backup that held it would revoke the key.
   */
  saveRevocation(fingerprint: string): Promise<boolean> {
    return this.#run('revocation', async () => {
      const result = await this.#call('keys.saveRevocation', { fingerprint });
      if (!result.ok) return { kind: 'error', text: result.message };
      if (!result.value.available)
        return {
          kind: 'error',
          text: 'Sealpost has no revocation certificate for this key (it was made elsewhere). Revoke it from here while you still have it, if you need to.',
        };
      if (!result.value.saved) return { kind: 'error', text: 'The revocation certificate was not saved (the dialog was cancelled).' };
      this.revocationSaved = [...new Set([...this.revocationSaved, fingerprint])];
      return {
        kind: 'ok',
        text: 'Revocation certificate saved. Keep it apart from the backup: anyone who has it can declare your key revoked (and nothing else).',
      };
    });
  }

  /** Keys whose backup or revocation certificate was saved in this session (for the first-run and new-key prompts). */
  backedUp = $state<string[]>([]);
  revocationSaved = $state<string[]>([]);

  /** Look up keys for an address (Web Key Directory, keyserver) and import what is found. */
  lookup(email: string): Promise<boolean> {
    return this.#run('lookup', async () => {
      const result = await this.#call('keys.lookup', { email: email.trim(), import: true });
      if (!result.ok) return { kind: 'error', text: result.message };
      await this.refresh();
      if (result.value.imported.length === 0) {
        const errors = result.value.found.map((f) => f.error).filter(Boolean);
        return { kind: 'error', text: `No key found for ${email.trim()}.${errors.length ? ` ${errors.join('; ')}` : ''}` };
      }
      return {
        kind: 'ok',
        text: `Imported ${plural(result.value.imported.length, 'key', 'keys')} for ${email.trim()}: ${result.value.imported.map(primaryUserId).join(', ')}.`,
      };
    });
  }

  /** The user's own secret key for an address, if there is one. */
  ownKeyFor(address: string): KeySummary | null {
    return this.ownKeys.find((k) => k.emails.some((e) => sameAddress(e, address))) ?? null;
  }
}

/** Keys whose user ids, addresses, fingerprint or key id contain every word of the query. */
export function filterKeys(keys: readonly KeySummary[], query: string): KeySummary[] {
  const words = query
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => w.replace(/^0x/, ''));
  if (words.length === 0) return [...keys];
  return keys.filter((k) => {
    const hay = [...k.userIds, ...k.emails, k.fingerprint, k.keyId].join(' ').toLowerCase();
    const compact = hay.replace(/\s+/g, '');
    return words.every((w) => hay.includes(w) || compact.includes(w));
  });
}

/** "alice@example.org-0123456789ABCDEF.asc": who and which key, safe as a file name. */
export function exportFilename(key: Pick<KeySummary, 'keyId' | 'emails'>): string {
  const who = (key.emails[0] ?? 'key').replace(/[^\w.@+-]/g, '_');
  return `${who}-${key.keyId}.asc`;
}

export function importSummary(outcome: ProcedureOutput<'keys.import'>): string {
  const parts: string[] = [];
  if (outcome.changed.length === 0) parts.push('No new keys or changes in the file.');
  else
    parts.push(`Imported or updated ${plural(outcome.changed.length, 'key', 'keys')}: ${outcome.changed.map(primaryUserId).join(', ')}.`);
  if (outcome.problems.length > 0) {
    parts.push(
      `${plural(outcome.problems.length, 'item was', 'items were')} skipped: ${outcome.problems.map((p) => p.message).join('; ')}.`,
    );
  }
  return parts.join(' ');
}
