import type { ProcedureInput, SealpostBridge } from '../../../app/ipc/contract.ts';
import type { AccountView } from '../../../app/mail.ts';
import { isEmail } from './addresses.ts';
import { sameAddress } from './format.ts';
import { callBridge, localError, type UiError } from './outcome.ts';

type ServerField = 'imap' | 'smtp' | 'user';

/**
 * The account form (first run, and Settings for a new or an existing
 * account). Server settings are guessed from the address (`accounts.guess`)
 * but what the user typed there is never overwritten by a guess.
 */
export class AccountForm {
  email = $state('');
  displayName = $state('');
  password = $state('');
  imap = $state('');
  smtp = $state('');
  user = $state('');
  caPem = $state('');
  /** The "Server settings" part is open. */
  showServer = $state(false);
  guessing = $state(false);
  /** Whether the last guess came from a known provider (null: no guess yet). */
  guessKnown = $state<boolean | null>(null);
  attempted = $state(false);
  /** Editing an existing account: the password may stay empty (unchanged). */
  readonly existing: AccountView | null;
  #edited = new Set<ServerField>();
  #guessedFor = '';

  constructor(existing: AccountView | null = null) {
    this.existing = existing;
    if (existing) {
      this.email = existing.email;
      this.displayName = existing.displayName;
      this.imap = existing.imap;
      this.smtp = existing.smtp;
      this.user = existing.user;
      this.showServer = true;
      this.#edited = new Set(['imap', 'smtp', 'user']);
      this.#guessedFor = existing.email;
    }
  }

  /** The user typed in a server field: guesses leave it alone from now on. */
  edited(field: ServerField): void {
    this.#edited.add(field);
  }

  problem = $derived.by((): string | null => {
    if (!isEmail(this.email)) return 'Enter your e-mail address (name@example.org).';
    if (!this.existing && this.password.length === 0) return 'Enter your password.';
    if (!this.imap.trim() || !this.smtp.trim()) return 'Enter the incoming (IMAP) and outgoing (SMTP) servers under Server settings.';
    if (!this.user.trim()) return 'Enter the user name under Server settings.';
    if (this.caPem.trim() && !/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(this.caPem)) {
      return 'The CA certificate must be PEM text, from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE-----.';
    }
    return null;
  });

  /** Fill the server fields from the address's domain (once per address). */
  async guess(bridge: SealpostBridge): Promise<void> {
    const email = this.email.trim();
    if (!isEmail(email) || sameAddress(email, this.#guessedFor)) return;
    this.#guessedFor = email;
    this.guessing = true;
    const r = await callBridge(bridge, 'accounts.guess', { email });
    this.guessing = false;
    if (!r.ok || this.email.trim() !== email) return;
    if (!this.#edited.has('imap')) this.imap = r.value.imap;
    if (!this.#edited.has('smtp')) this.smtp = r.value.smtp;
    if (!this.#edited.has('user')) this.user = r.value.user;
    this.guessKnown = r.value.known;
    // An unknown provider's servers are only a guess: show them so the user checks them.
    if (!r.value.known) this.showServer = true;
  }

  addInput(): ProcedureInput<'accounts.add'> {
    return {
      email: this.email.trim(),
      ...(this.displayName.trim() ? { displayName: this.displayName.trim() } : {}),
      imap: this.imap.trim(),
      smtp: this.smtp.trim(),
      user: this.user.trim(),
      password: this.password,
      caPem: this.caPem.trim() ? this.caPem.trim() : null,
    };
  }

  /** Only what changed; the password only when one was typed; the CA only when one was pasted. */
  updateInput(): ProcedureInput<'accounts.update'> {
    const was = this.existing;
    if (!was) throw new Error('updateInput is for an existing account');
    const input: ProcedureInput<'accounts.update'> = { id: was.id };
    if (this.email.trim() !== was.email) input.email = this.email.trim();
    if (this.displayName.trim() !== was.displayName) input.displayName = this.displayName.trim();
    if (this.imap.trim() !== was.imap) input.imap = this.imap.trim();
    if (this.smtp.trim() !== was.smtp) input.smtp = this.smtp.trim();
    if (this.user.trim() !== was.user) input.user = this.user.trim();
    if (this.password) input.password = this.password;
    if (this.caPem.trim()) input.caPem = this.caPem.trim();
    return input;
  }

  clearSecrets(): void {
    this.password = '';
  }
}

export type RemoveOutcome = 'removed' | 'needs-force' | 'failed';

/** The list of accounts, and adding, editing and removing them. */
export class AccountsState {
  accounts = $state<AccountView[]>([]);
  loaded = $state(false);
  error = $state<UiError | null>(null);
  busy = $state<null | 'add' | 'update' | 'remove'>(null);
  readonly #bridge: SealpostBridge;

  constructor(bridge: SealpostBridge) {
    this.#bridge = bridge;
  }

  async load(): Promise<boolean> {
    const r = await callBridge(this.#bridge, 'accounts.list', {});
    if (!r.ok) {
      this.error = r.error;
      return false;
    }
    this.accounts = r.value;
    this.loaded = true;
    this.error = null;
    return true;
  }

  byId(id: string | null): AccountView | null {
    return this.accounts.find((a) => a.id === id) ?? null;
  }

  /** Main logs in to both servers before it saves: a wrong password or a refused certificate comes back here. */
  async add(form: AccountForm): Promise<AccountView | null> {
    form.attempted = true;
    if (form.problem) {
      this.error = localError(form.problem);
      return null;
    }
    if (this.busy) return null;
    this.busy = 'add';
    const r = await callBridge(this.#bridge, 'accounts.add', form.addInput());
    this.busy = null;
    if (!r.ok) {
      this.error = r.error;
      if (r.error.code === 'network-tls') form.showServer = true;
      return null;
    }
    form.clearSecrets();
    this.error = null;
    this.accounts = [...this.accounts.filter((a) => a.id !== r.value.id), r.value];
    return r.value;
  }

  async update(form: AccountForm): Promise<AccountView | null> {
    form.attempted = true;
    if (form.problem) {
      this.error = localError(form.problem);
      return null;
    }
    if (this.busy) return null;
    this.busy = 'update';
    const r = await callBridge(this.#bridge, 'accounts.update', form.updateInput());
    this.busy = null;
    if (!r.ok) {
      this.error = r.error;
      return null;
    }
    form.clearSecrets();
    this.error = null;
    this.accounts = this.accounts.map((a) => (a.id === r.value.id ? r.value : a));
    return r.value;
  }

  /** Remove an account; without `force`, main refuses while unsent mail remains, and the caller asks the user. */
  async remove(id: string, force = false): Promise<RemoveOutcome> {
    if (this.busy) return 'failed';
    this.busy = 'remove';
    const r = await callBridge(this.#bridge, 'accounts.remove', { id, force });
    this.busy = null;
    if (!r.ok) {
      if (r.error.code === 'account-has-unsent' && !force) {
        this.error = null;
        return 'needs-force';
      }
      this.error = r.error;
      return 'failed';
    }
    this.error = null;
    this.accounts = this.accounts.filter((a) => a.id !== id);
    return 'removed';
  }
}
