import type { ErrorDetails } from '../../../app/errors.ts';
import type { EventPayload, ProcedureOutput, SealpostBridge } from '../../../app/ipc/contract.ts';
import { AccountsState, type AccountForm, type RemoveOutcome } from './accounts.svelte.ts';
import { mailtoSeed } from './addresses.ts';
import { ComposerState } from './composer.svelte.ts';
import { KeysState } from './keys.svelte.ts';
import { MailState } from './mail.svelte.ts';
import { callBridge, localError, type Outcome, type UiError } from './outcome.ts';
import type { Sanitizer } from './reader.svelte.ts';
import { replySeed, type ComposeSeed, type ReplyMode } from './reply.ts';
import { SettingsState } from './settings.svelte.ts';
import { FirstRunState } from './setup.svelte.ts';
import type { ShortcutAction } from './shortcuts.ts';
import { lockedKeys, PassphrasePrompt } from './unlock.svelte.ts';

export type Screen = 'loading' | 'first-run' | 'mail' | 'keys' | 'settings';

/** An encrypted draft that waits for the passphrase of the key it is encrypted to. */
export interface DraftUnlock {
  id: number;
  prompt: PassphrasePrompt;
}

/**
 * The whole app's state: which screen is shown, and the state of each
 * (settings, accounts, keys, mail, the composer, first run). main.ts makes
 * one with the bridge and the sanitizer; components only read it and call
 * its methods.
 */
export class AppState {
  screen = $state<Screen>('loading');
  startError = $state<UiError | null>(null);
  composer = $state<ComposerState | null>(null);
  setup = $state<FirstRunState | null>(null);
  helpOpen = $state(false);
  /** An encrypted draft waiting for its key's passphrase (`drafts.load` answered key-passphrase-required). */
  draftUnlock = $state.raw<DraftUnlock | null>(null);
  /** The live region's text (new mail, keys locked, message queued). */
  announcement = $state('');

  readonly settings: SettingsState;
  readonly accounts: AccountsState;
  readonly keys: KeysState;
  readonly mail: MailState;
  readonly #bridge: SealpostBridge;
  #off: (() => void)[] = [];

  constructor(bridge: SealpostBridge, sanitize: Sanitizer | null = null) {
    this.#bridge = bridge;
    this.settings = new SettingsState(bridge);
    this.accounts = new AccountsState(bridge);
    this.keys = new KeysState(bridge);
    this.mail = new MailState(bridge, this.accounts, { keys: () => this.keys.keys, settings: () => this.settings.settings }, sanitize);
  }

  /** Load what every screen needs, follow main's events, and show first run or the mail. */
  async start(): Promise<void> {
    const b = this.#bridge;
    this.#off.push(
      this.keys.start(),
      b.on('keyring.changed', () => {
        void this.composer?.refreshKeys();
        this.mail.reader.onKeyringChanged();
      }),
      b.on('session.locked', () => {
        this.announcement = 'Keys locked: a passphrase is needed again to use them.';
      }),
      b.on('compose.open', (p) => this.composeFromMailto(p)),
    );
    const [, accountsOk] = await Promise.all([this.settings.load(), this.accounts.load()]);
    if (!accountsOk) {
      this.startError = this.accounts.error;
      return;
    }
    if (this.accounts.accounts.length === 0) {
      this.setup = new FirstRunState(b, this.accounts, this.keys);
      this.screen = 'first-run';
      return;
    }
    this.screen = 'mail';
    await this.mail.start();
    const pending = this.#pendingMailto;
    this.#pendingMailto = null;
    if (pending) this.composeFromMailto(pending);
  }

  stop(): void {
    for (const off of this.#off) off();
    this.#off = [];
    this.mail.stop();
    this.composer?.stopAutosave();
  }

  /** First run is over: the mail screen, and a first sync. */
  async finishSetup(): Promise<void> {
    this.setup = null;
    this.screen = 'mail';
    await this.mail.start({ sync: true });
    const pending = this.#pendingMailto;
    this.#pendingMailto = null;
    if (pending) this.composeFromMailto(pending);
  }

  /** Fill an account form's server settings from its address. */
  guessServers(form: AccountForm): Promise<void> {
    return form.guess(this.#bridge);
  }

  /** An account added in Settings: its folders, outbox, and a first sync. */
  async addAccount(form: AccountForm): Promise<boolean> {
    const account = await this.accounts.add(form);
    if (!account) return false;
    await Promise.all([this.mail.loadFolders(account.id), this.mail.refreshOutbox(account.id)]);
    void this.mail.syncAccount(account.id);
    return true;
  }

  /** Remove an account (main refuses while unsent mail remains unless `force`); with none left, first run again. */
  async removeAccount(id: string, force = false): Promise<RemoveOutcome> {
    const outcome = await this.accounts.remove(id, force);
    if (outcome !== 'removed') return outcome;
    await this.mail.forgetAccount(id);
    if (this.accounts.accounts.length === 0) {
      this.mail.stop();
      this.setup = new FirstRunState(this.#bridge, this.accounts, this.keys);
      this.screen = 'first-run';
    }
    return outcome;
  }

  /** Start first run again from Settings ("Add an account" uses its own form there; this is for the case of no account left). */
  show(screen: Exclude<Screen, 'loading' | 'first-run'>): void {
    if (this.screen === 'first-run' || this.screen === 'loading') return;
    this.screen = screen;
  }

  #defaultAccountId(): string | null {
    return this.mail.accountId ?? this.accounts.accounts[0]?.id ?? null;
  }

  #composerContext() {
    return { accounts: () => this.accounts.accounts, settings: () => this.settings.settings, ownKeys: () => this.keys.ownKeys };
  }

  /** Open the composer (one at a time: a second request while one is open is ignored, its text is kept). */
  compose(seed?: ComposeSeed, invalid: string[] = []): ComposerState | null {
    if (this.composer) return this.composer;
    const accountId = this.#defaultAccountId();
    if (!accountId) return null;
    const composer = new ComposerState(this.#bridge, this.#composerContext(), { accountId, ...(seed ? { seed } : {}), invalid });
    this.composer = composer;
    composer.startAutosave();
    void composer.refreshKeys();
    return composer;
  }

  composeFromMailto(payload: EventPayload<'compose.open'>): ComposerState | null {
    const { seed, invalid } = mailtoSeed(payload);
    if (this.screen === 'first-run' || this.screen === 'loading' || !this.#defaultAccountId()) {
      // No account yet: the link is opened once there is one.
      this.#pendingMailto = payload;
      return null;
    }
    this.screen = 'mail';
    return this.compose(seed, invalid);
  }

  #pendingMailto: EventPayload<'compose.open'> | null = null;

  /** Reply, reply to all or forward the message the reader shows (its protected text, as shown). */
  reply(mode: ReplyMode): ComposerState | null {
    const report = this.mail.reader.view?.report;
    const message = this.mail.reader.message;
    if (!report || !message || this.composer) return null;
    const me = this.mail.account?.email ?? this.accounts.accounts[0]?.email ?? '';
    const composer = this.compose(replySeed(report, mode, me));
    if (composer && mode === 'forward' && report.attachments.length > 0) {
      this.forwarding = this.#forwardAttachments(composer, message.folderId, message.uid, report.attachments.length);
    }
    return composer;
  }

  /** A forward carries the message's attachments (their decrypted bytes, from main). */
  forwarding: Promise<void> = Promise.resolve();

  async #forwardAttachments(composer: ComposerState, folderId: number, uid: string, count: number): Promise<void> {
    for (let index = 0; index < count; index++) {
      const r = await callBridge(this.#bridge, 'mail.attachment', { folderId, uid, index });
      if (this.composer !== composer) return;
      if (!r.ok) {
        composer.error = r.error;
        continue;
      }
      composer.attachments = [
        ...composer.attachments,
        { filename: r.value.filename || 'attachment', contentType: r.value.contentType, content: r.value.content },
      ];
    }
  }

  /**
   * Resume a draft saved earlier (`drafts.load`). An encrypted draft whose
   * key is locked opens the passphrase prompt instead (`unlockDraft`).
   */
  async resumeDraft(id: number): Promise<ComposerState | null> {
    if (this.composer) return this.composer;
    const r = await callBridge(this.#bridge, 'drafts.load', { id });
    return this.#draftLoaded(id, r, null);
  }

  /** The draft's key is locked: unlock it with the typed passphrase (to the keyring only), then open the draft. */
  async unlockDraft(): Promise<ComposerState | null> {
    const pending = this.draftUnlock;
    if (!pending || !(await pending.prompt.unlock())) return null;
    if (this.draftUnlock !== pending) return null; // cancelled meanwhile: nothing opens
    const r = await callBridge(this.#bridge, 'drafts.load', { id: pending.id });
    if (this.draftUnlock !== pending) return null;
    return this.#draftLoaded(pending.id, r, pending);
  }

  cancelDraftUnlock(): void {
    this.draftUnlock?.prompt.clear();
    this.draftUnlock = null;
  }

  /**
   * Drafts are encrypted to the sender's own key: the keys to unlock are the
   * user's secret keys for the draft's account address (every secret key when
   * the draft's account is not known here).
   */
  #draftKeys(id: number, details: ErrorDetails<'key-passphrase-required'>) {
    const summary = Object.values(this.mail.drafts)
      .flat()
      .find((d) => d.id === id);
    const email = this.accounts.accounts.find((a) => a.id === summary?.accountId)?.email ?? null;
    return lockedKeys(details, this.keys.ownKeys, email);
  }

  #draftLoaded(id: number, r: Outcome<ProcedureOutput<'drafts.load'>>, pending: DraftUnlock | null): ComposerState | null {
    if (!r.ok && r.error.code === 'key-passphrase-required') {
      if (pending) {
        // The key unlocked is not the one the draft is encrypted to.
        pending.prompt.error = localError('The draft is still locked: it is encrypted to another of your keys.', r.error.detail);
        return null;
      }
      const candidates = this.#draftKeys(id, r.error.details);
      if (candidates.length > 0) {
        this.draftUnlock = { id, prompt: new PassphrasePrompt(this.#bridge, candidates) };
        return null;
      }
    }
    this.draftUnlock = null;
    if (!r.ok) {
      this.mail.error = r.error;
      return null;
    }
    if (this.composer) return this.composer;
    const d = r.value.draft;
    const seed: ComposeSeed = {
      to: d.to,
      cc: d.cc,
      bcc: d.bcc,
      subject: d.subject,
      body: d.text,
      ...(d.inReplyTo ? { inReplyTo: d.inReplyTo } : {}),
      ...(d.references ? { references: d.references } : {}),
      encrypt: r.value.summary.encrypted ? true : null,
    };
    const composer = new ComposerState(this.#bridge, this.#composerContext(), { accountId: r.value.summary.accountId, seed, draftId: id });
    composer.attachments = d.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content }));
    this.composer = composer;
    composer.startAutosave();
    void composer.refreshKeys();
    return composer;
  }

  /** Close the composer: the draft is saved (kept) unless `discard`. */
  async closeComposer(discard = false): Promise<void> {
    const c = this.composer;
    if (!c) return;
    this.composer = null;
    if (discard) await c.discard();
    else await c.close();
    await this.mail.loadDrafts(c.accountId);
  }

  /** Send from the composer; it closes once the message is in the outbox. */
  send(): Promise<string> {
    return this.#sending((c) => c.send());
  }

  /** From the no-key prompt: every recipient has a key now. */
  sendEncrypted(): Promise<string> {
    return this.#sending((c) => c.sendEncrypted());
  }

  /** From the unlock prompt: the signing key's passphrase was typed. */
  unlockAndSend(): Promise<string> {
    return this.#sending((c) => c.unlockAndSend());
  }

  /** From the no-key prompt: the user chose to send this message unencrypted. */
  sendUnencrypted(): Promise<string> {
    return this.#sending((c) => c.sendUnencrypted());
  }

  async #sending(how: (c: ComposerState) => Promise<string>): Promise<string> {
    const c = this.composer;
    if (!c) return 'failed';
    const outcome = await how(c);
    if (outcome === 'sent') {
      if (this.composer === c) this.composer = null;
      this.announcement = 'Message queued for sending.';
      await Promise.all([this.mail.refreshOutbox(c.accountId), this.mail.loadDrafts(c.accountId)]);
    }
    return outcome;
  }

  /** What a keyboard shortcut does where the user is. */
  async shortcut(action: ShortcutAction): Promise<boolean> {
    if (action === 'help') {
      this.helpOpen = !this.helpOpen;
      return true;
    }
    if (action === 'close') {
      if (this.helpOpen) {
        this.helpOpen = false;
        return true;
      }
      if (this.draftUnlock) {
        this.cancelDraftUnlock();
        return true;
      }
      if (this.composer?.unlock) {
        this.composer.cancelUnlock();
        return true;
      }
      if (this.composer?.prompt) {
        this.composer.cancelPrompt();
        return true;
      }
      if (this.composer) {
        await this.closeComposer();
        return true;
      }
      return false;
    }
    if (action === 'send') {
      if (!this.composer) return false;
      await this.send();
      return true;
    }
    if (this.screen === 'first-run' || this.screen === 'loading' || this.composer || this.draftUnlock || this.helpOpen) return false;
    switch (action) {
      case 'go-mail':
      case 'go-keys':
      case 'go-settings':
        this.show(action === 'go-mail' ? 'mail' : action === 'go-keys' ? 'keys' : 'settings');
        return true;
      case 'compose':
        return this.compose() !== null;
      default:
        break;
    }
    if (this.screen !== 'mail') return false;
    const mail = this.mail;
    switch (action) {
      case 'reply':
        return this.reply('reply') !== null;
      case 'reply-all':
        return this.reply('reply-all') !== null;
      case 'forward':
        return this.reply('forward') !== null;
      case 'trash':
        return mail.act('trash');
      case 'archive':
        return mail.act('archive');
      case 'toggle-read':
        return mail.toggleRead();
      case 'toggle-flag':
        return mail.toggleFlag();
      case 'next':
        await mail.move(1);
        return true;
      case 'previous':
        await mail.move(-1);
        return true;
      case 'sync':
        await mail.syncAll();
        return true;
      default:
        return false;
    }
  }
}
