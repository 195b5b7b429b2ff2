import type { SealpostBridge } from '../../../app/ipc/contract.ts';
import type { KeySummary } from '../../../app/keys.ts';
import type { AccountView } from '../../../app/mail.ts';
import { AccountForm, type AccountsState } from './accounts.svelte.ts';
import { sameAddress } from './format.ts';
import type { KeysState } from './keys.svelte.ts';
import { callBridge, type UiError } from './outcome.ts';

export type SetupStep = 'account' | 'key' | 'unlock' | 'backup' | 'done';

/**
 * First run: the account (checked by main with a login to both servers
 * before it is saved), then the user's key for that address: imported (and
 * its passphrase checked by unlocking it) or generated (then backed up).
 */
export class FirstRunState {
  step = $state<SetupStep>('account');
  readonly form = new AccountForm();
  account = $state<AccountView | null>(null);
  keyMode = $state<'import' | 'generate'>('import');
  /** Armored key text pasted into the import box. */
  pasted = $state('');
  /** Passphrase of the imported key, for the check. */
  passphrase = $state('');
  /** The user's secret key found by the import, or made by generate. */
  key = $state<KeySummary | null>(null);
  /** Why the imported file does not give the user a key for the address. */
  keyProblem = $state<string | null>(null);
  unlockError = $state<UiError | null>(null);
  busy = $state<null | 'unlock'>(null);
  /** The key's backup and its revocation certificate were saved. */
  backedUp = $derived.by(() => this.key !== null && this.keys.backedUp.includes(this.key.fingerprint));
  revocationSaved = $derived.by(() => this.key !== null && this.keys.revocationSaved.includes(this.key.fingerprint));

  readonly #bridge: SealpostBridge;
  readonly accounts: AccountsState;
  readonly keys: KeysState;

  constructor(bridge: SealpostBridge, accounts: AccountsState, keys: KeysState) {
    this.#bridge = bridge;
    this.accounts = accounts;
    this.keys = keys;
  }

  /** Fill the server settings from the address (when the address field is left). */
  guess(): Promise<void> {
    return this.form.guess(this.#bridge);
  }

  /** Add the account; then skip the key step when the keyring already has a secret key for the address. */
  async connect(): Promise<boolean> {
    const account = await this.accounts.add(this.form);
    if (!account) return false;
    this.account = account;
    await this.keys.refresh();
    const own = this.keys.ownKeyFor(account.email);
    if (own) {
      this.key = own;
      this.step = 'done';
      return true;
    }
    this.keys.form.email = account.email;
    if (account.displayName) this.keys.form.name = account.displayName;
    this.step = 'key';
    return true;
  }

  async importFile(file: Blob & { name?: string }): Promise<boolean> {
    return (await this.keys.importFile(file)) && this.#afterImport();
  }

  async importPasted(): Promise<boolean> {
    const ok = await this.keys.importText(this.pasted);
    if (ok) this.pasted = '';
    return ok && this.#afterImport();
  }

  #afterImport(): boolean {
    const address = this.account?.email ?? '';
    const secret = this.keys.lastImported.filter((k) => k.hasSecret);
    const match = secret.find((k) => k.emails.some((e) => sameAddress(e, address))) ?? this.keys.ownKeyFor(address);
    if (!match) {
      this.keyProblem =
        secret.length > 0
          ? `The imported secret key is for ${secret[0]!.emails[0] ?? 'another address'}, not ${address}. Import the key for ${address}, or generate one.`
          : `The file holds no secret key${this.keys.lastImported.length > 0 ? ', only public keys' : ''}. Import your secret key (for example from \`gpg --export-secret-keys --armor ${address}\`), or generate one.`;
      return false;
    }
    this.keyProblem = null;
    this.key = match;
    this.step = 'unlock';
    return true;
  }

  /** Check the imported key's passphrase by unlocking it in the keyring (the passphrase goes nowhere else). */
  async checkPassphrase(): Promise<boolean> {
    const key = this.key;
    if (!key || !this.passphrase || this.busy) return false;
    this.busy = 'unlock';
    const passphrase = this.passphrase;
    this.passphrase = '';
    const r = await callBridge(this.#bridge, 'session.unlock', { fingerprint: key.fingerprint, passphrase });
    this.busy = null;
    if (!r.ok) {
      this.unlockError = r.error;
      return false;
    }
    this.unlockError = null;
    this.step = 'done';
    return true;
  }

  /** A key without a passphrase, or a check left for later. */
  skipCheck(): void {
    this.passphrase = '';
    this.step = 'done';
  }

  async generate(): Promise<boolean> {
    const ok = await this.keys.generate();
    if (!ok || !this.keys.generated) return false;
    this.key = this.keys.generated;
    this.step = 'backup';
    return true;
  }

  backup(): Promise<boolean> {
    return this.key ? this.keys.backup(this.key.fingerprint) : Promise.resolve(false);
  }

  saveRevocation(): Promise<boolean> {
    return this.key ? this.keys.saveRevocation(this.key.fingerprint) : Promise.resolve(false);
  }

  finish(): void {
    this.step = 'done';
  }
}
