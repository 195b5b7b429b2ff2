import type { ProcedureInput, SealpostBridge } from '../../../app/ipc/contract.ts';
import type { KeySummary } from '../../../app/keys.ts';
import type { AccountView, OutboxEntry, RecipientKey, Settings } from '../../../app/mail.ts';
import type { Recommendation } from '../../../app/autocrypt-recommendation.ts';
import { parseAddresses, parseEntry } from './addresses.ts';
import { normalizeAddress, sizeText, type NamedAddress } from './format.ts';
import { callBridge, localError, type UiError } from './outcome.ts';
import { emptySeed, type ComposeSeed } from './reply.ts';
import { lockedKeys, PassphrasePrompt } from './unlock.svelte.ts';

export type RecipientKeyState = RecipientKey['state'];
/**
 * A chip's mark: the key state, or "checking" until `compose.recipients` answered, "looking" while a recipient
 * without a key is looked up online, or "invalid" for text that is no address.
 */
export type ChipState = RecipientKeyState | 'checking' | 'looking' | 'invalid';
export type FieldName = 'to' | 'cc' | 'bcc';

export const KEY_STATE_TEXT: Record<ChipState, string> = {
  verified: 'Key verified',
  unverified: 'Key found, not verified',
  missing: 'No key',
  rejected: 'Key rejected by you',
  expired: 'Key expired',
  revoked: 'Key revoked',
  unusable: 'Key cannot encrypt',
  changed: 'Key changed: choose which key to use',
  checking: 'Checking for a key…',
  looking: 'Looking up a key…',
  invalid: 'Not an e-mail address',
};

/** "Autocrypt" or "gossip" when the recipient's key came only that way (the chip says so); null otherwise. */
export function autocryptSource(key: RecipientKey | null): 'Autocrypt' | 'gossip' | null {
  if (!key || key.sources.length === 0 || !key.sources.every((s) => s === 'autocrypt' || s === 'gossip')) return null;
  return key.sources.includes('autocrypt') ? 'Autocrypt' : 'gossip';
}

/** A recipient key that can encrypt. */
export function usableKey(state: ChipState): boolean {
  return state === 'verified' || state === 'unverified';
}

/**
 * Whether a message is encrypted when the user has not switched the toggle:
 * - "always": yes;  "never": no (the user switches it on);
 * - "when-possible": yes when there is a recipient and every recipient has a usable key (or a changed one, to choose at Send);
 * - a reply to encrypted mail: yes, whatever the keys (the no-key prompt asks before anything goes out in the clear);
 * - but with "when-possible", not when Autocrypt discourages it for a recipient
 *   (Autocrypt Level 1: a key known only from gossip, or an Autocrypt header
 *   left 35 days behind the recipient's mail, may no longer be read).
 */
export function encryptionDefault(
  policy: Settings['encrypt'],
  states: readonly ChipState[],
  replyToEncrypted: boolean,
  recommendations: readonly Recommendation[] = [],
): boolean {
  if (replyToEncrypted || policy === 'always') return true;
  if (policy === 'never') return false;
  if (recommendations.includes('discourage')) return false;
  // A key change is no reason to fall back to plain text: encryption stays on and Send asks which key to use.
  return states.length > 0 && states.every((s) => usableKey(s) || s === 'changed');
}

export interface RecipientCheck {
  address: string;
  state: ChipState;
}

export type SendPlan =
  | { kind: 'invalid'; problem: string }
  | { kind: 'send'; encrypt: boolean }
  /** Encryption is on and these recipients have no usable key: ask, never send in the clear silently. */
  | { kind: 'no-key'; missing: RecipientCheck[] };

/** What pressing Send does, from the toggle and the recipients' key states. */
export function sendPlan(encrypt: boolean, recipients: readonly RecipientCheck[]): SendPlan {
  if (recipients.length === 0) return { kind: 'invalid', problem: 'Add at least one recipient.' };
  const invalid = recipients.filter((r) => r.state === 'invalid');
  if (invalid.length > 0)
    return { kind: 'invalid', problem: `Fix or remove ${invalid.map((r) => `"${r.address}"`).join(', ')}: not an e-mail address.` };
  if (!encrypt) return { kind: 'send', encrypt: false };
  const missing = recipients.filter((r) => !usableKey(r.state));
  return missing.length > 0 ? { kind: 'no-key', missing } : { kind: 'send', encrypt: true };
}

/** What pressing Send led to: queued, a prompt (no key, or the signing key's passphrase), or not sent. */
export type SendOutcome = 'sent' | 'prompt' | 'unlock' | 'invalid' | 'failed';

export interface Chip extends NamedAddress {
  /** The text as typed, for chips that are no address. */
  invalid: boolean;
}

/** One address field (To, Cc, Bcc): chips and the text being typed. */
export class RecipientField {
  chips = $state<Chip[]>([]);
  text = $state('');

  constructor(initial: readonly NamedAddress[] = []) {
    this.chips = initial.map((a) => ({ name: a.name, address: a.address, invalid: false }));
  }

  /** Add what was typed or pasted (several addresses at once are split); duplicates are skipped. */
  add(text: string): void {
    const { valid, invalid } = parseAddresses(text);
    const have = new Set(this.chips.map((c) => normalizeAddress(c.address)));
    const next = [...this.chips];
    for (const a of valid) {
      if (have.has(normalizeAddress(a.address))) continue;
      have.add(normalizeAddress(a.address));
      next.push({ ...a, invalid: false });
    }
    for (const t of invalid) next.push({ name: '', address: t, invalid: true });
    this.chips = next;
  }

  /** Turn the typed text into chips (on comma, Enter, leaving the field, or before sending). */
  commit(): void {
    if (this.text.trim()) this.add(this.text);
    this.text = '';
  }

  remove(index: number): void {
    this.chips = this.chips.filter((_, i) => i !== index);
  }

  /** Edit a chip: it goes back to the text box. */
  edit(index: number): void {
    const chip = this.chips[index];
    if (!chip) return;
    this.remove(index);
    this.text = chip.invalid || !chip.name ? chip.address : `${chip.name} <${chip.address}>`;
  }

  addresses(): NamedAddress[] {
    return this.chips.filter((c) => !c.invalid).map((c) => ({ name: c.name, address: c.address }));
  }
}

export interface ComposerAttachment {
  filename: string;
  contentType: string;
  content: Uint8Array;
}

/**
 * How the lookup of a recipient without a key, started as they were added, ended: a key imported, nothing
 * found, the key servers out of reach (said quietly: offline is no error), sources naming different keys
 * (nothing imported: the user sees them in the no-key prompt), or the lookup refused.
 */
export type LookupOutcome = 'imported' | 'not-found' | 'offline' | 'disagree' | 'failed';

export const LOOKUP_OUTCOME_TEXT: Record<Exclude<LookupOutcome, 'imported'>, string> = {
  'not-found': 'none found in the Web Key Directory or on the key server',
  offline: 'the key servers could not be reached',
  disagree: 'the key servers name different keys; choose with "Look up keys" when you send',
  failed: 'the lookup did not work',
};

export interface NoKeyPrompt {
  missing: RecipientCheck[];
  lookup: 'idle' | 'looking' | 'done';
  /** Per address, after a lookup: what was found. */
  results: { address: string; imported: number; error: string | null }[];
}

export interface ComposerContext {
  accounts(): readonly AccountView[];
  settings(): Settings;
  /** The user's secret keys (to name the key that must be unlocked to sign). */
  ownKeys?(): readonly KeySummary[];
}

export interface ComposerOptions {
  accountId: string;
  seed?: ComposeSeed;
  /** Entries from a mailto: link that are no address, shown for the user to fix. */
  invalid?: string[];
  /** A draft being resumed (`drafts.load`). */
  draftId?: number | null;
}

const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/;
/** Larger attachments than this are refused here (main's cap is the whole message, 64 MiB). */
export const MAX_ATTACHMENT_BYTES = 50 * 1024 * 1024;

/**
 * The composer: fields, per-recipient key states, the encryption and
 * signing toggles with their defaults, drafts saved while the user writes,
 * and sending (through the outbox) with the no-key prompt.
 */
export class ComposerState {
  accountId = $state('');
  to: RecipientField;
  cc: RecipientField;
  bcc: RecipientField;
  showCcBcc = $state(false);
  subject = $state('');
  body = $state('');
  attachments = $state<ComposerAttachment[]>([]);
  inReplyTo: string | undefined;
  references: string[] | undefined;
  /** The user's own choice of the toggles; null follows the default. */
  encryptChoice = $state<boolean | null>(null);
  signChoice = $state<boolean | null>(null);
  /** Key states by lower-case address, from `compose.recipients` (replaced whole on each answer). */
  keyStates = $state.raw<Readonly<Record<string, RecipientKey>>>({});
  prompt = $state<NoKeyPrompt | null>(null);
  /** Per lower-case address: the lookup of a recipient without a key, as they were added (once per composer). */
  lookups = $state.raw<Readonly<Record<string, { state: 'looking' } | { state: 'done'; outcome: LookupOutcome }>>>({});
  /** The signing key's passphrase prompt (mail.send answered key-passphrase-required); then the message goes as the user chose. */
  unlock = $state.raw<PassphrasePrompt | null>(null);
  /** Whether the message waiting for the unlock is encrypted (as decided before it was asked). */
  #unlockEncrypt = false;
  error = $state<UiError | null>(null);
  sending = $state(false);
  /** Send was pressed while recipients' keys are still being looked up: it goes on once they are in. */
  waitingForLookups = $state(false);
  /** The message is in the outbox. */
  sent = $state<OutboxEntry | null>(null);
  draftId = $state<number | null>(null);
  draftSavedAt = $state<number | null>(null);
  draftError = $state<UiError | null>(null);
  readonly replyToEncrypted: boolean;

  account = $derived.by(() => this.#context.accounts().find((a) => a.id === this.accountId) ?? null);
  recipients = $derived.by((): RecipientCheck[] =>
    [...this.to.chips, ...this.cc.chips, ...this.bcc.chips].map((c) => ({ address: c.address, state: this.chipState(c) })),
  );
  /**
   * Once the message was shown as encrypted by default, a recipient added
   * later without a usable key (or still being checked) does not switch
   * encryption off on its own: the recipient is marked and Send asks. Only
   * the user turns it off. (Not state: it records what the toggle showed,
   * and the toggle reads `encrypt` whenever anything it depends on changes.)
   */
  #shownEncrypted = false;
  encryptDefault = $derived.by(() => {
    const fromRecipients = encryptionDefault(
      this.#context.settings().encrypt,
      this.recipients.map((r) => r.state),
      this.replyToEncrypted,
      this.recipients.map((r) => this.keyStates[normalizeAddress(r.address)]?.recommendation ?? 'available'),
    );
    if (fromRecipients) this.#shownEncrypted = true;
    return fromRecipients || (this.#shownEncrypted && this.#context.settings().encrypt !== 'never');
  });
  encrypt = $derived(this.encryptChoice ?? this.encryptDefault);
  sign = $derived.by(() => this.signChoice ?? this.#context.settings().sign);
  /** Recipients for whom Autocrypt discourages encryption (said next to the toggle when it is off for them). */
  discouraged = $derived(this.recipients.filter((r) => this.keyStates[normalizeAddress(r.address)]?.recommendation === 'discourage'));
  /** Recipients that block encryption (shown next to the toggle before Send is pressed). */
  withoutKey = $derived(
    this.recipients.filter((r) => r.state !== 'invalid' && r.state !== 'checking' && r.state !== 'looking' && !usableKey(r.state)),
  );
  /** Recipients whose key is being looked up online right now. */
  lookingUp = $derived(this.recipients.filter((r) => r.state === 'looking'));

  readonly #bridge: SealpostBridge;
  readonly #context: ComposerContext;
  #lastSaved = '';
  #timer: ReturnType<typeof setInterval> | null = null;
  #keysRequest = 0;
  /** The lookups still running, awaited by Send (each is bounded in main). */
  readonly #lookupRuns = new Map<string, Promise<void>>();
  #saving: Promise<void> | null = null;

  constructor(bridge: SealpostBridge, context: ComposerContext, options: ComposerOptions) {
    this.#bridge = bridge;
    this.#context = context;
    const seed = options.seed ?? emptySeed();
    this.accountId = options.accountId;
    this.to = new RecipientField(seed.to);
    this.cc = new RecipientField(seed.cc);
    this.bcc = new RecipientField(seed.bcc);
    for (const bad of options.invalid ?? []) this.to.chips.push({ name: '', address: bad, invalid: true });
    this.showCcBcc = seed.cc.length > 0 || seed.bcc.length > 0;
    this.subject = seed.subject;
    this.body = seed.body;
    this.inReplyTo = seed.inReplyTo;
    this.references = seed.references;
    this.replyToEncrypted = seed.encrypt === true;
    this.draftId = options.draftId ?? null;
    // A new composer is not a draft until the user writes something.
    this.#lastSaved = this.#snapshot();
  }

  chipState(chip: Chip): ChipState {
    if (chip.invalid) return 'invalid';
    const address = normalizeAddress(chip.address);
    const state = this.keyStates[address]?.state ?? 'checking';
    return state === 'missing' && this.lookups[address]?.state === 'looking' ? 'looking' : state;
  }

  /** Why a recipient still has no key after its lookup (null while looking, when a key came, or when none was asked). */
  lookupNote(chip: Chip): string | null {
    const lookup = this.lookups[normalizeAddress(chip.address)];
    if (chip.invalid || lookup?.state !== 'done' || lookup.outcome === 'imported' || this.chipState(chip) !== 'missing') return null;
    return LOOKUP_OUTCOME_TEXT[lookup.outcome];
  }

  keyFor(chip: Chip): RecipientKey | null {
    return this.keyStates[normalizeAddress(chip.address)] ?? null;
  }

  field(name: FieldName): RecipientField {
    return name === 'to' ? this.to : name === 'cc' ? this.cc : this.bcc;
  }

  setEncrypt(on: boolean): void {
    this.encryptChoice = on;
  }

  setSign(on: boolean): void {
    this.signChoice = on;
  }

  /** Ask main for the key state of every recipient (after a change of recipients, or of the keyring). */
  async refreshKeys(): Promise<void> {
    const addresses = [...new Set(this.recipients.filter((r) => r.state !== 'invalid').map((r) => r.address.trim()))];
    const request = ++this.#keysRequest;
    if (addresses.length === 0) return;
    const r = await callBridge(this.#bridge, 'compose.recipients', { addresses });
    if (request !== this.#keysRequest) return;
    if (!r.ok) {
      this.error = r.error;
      return;
    }
    this.keyStates = { ...this.keyStates, ...Object.fromEntries(r.value.map((k) => [normalizeAddress(k.address), k])) };
    for (const k of r.value) if (k.state === 'missing') this.#lookUpOnAdd(k.address);
  }

  /**
   * A recipient without any key is looked up online once, as they are added
   * (Web Key Directory, then the key server; main bounds each request to a
   * few seconds). What is found and agreed on is imported, and the chip
   * shows the key; meanwhile it says "looking up". An offline machine or a
   * failed lookup only leaves the recipient without a key, quietly: Send
   * still opens the no-key prompt.
   */
  #lookUpOnAdd(address: string): void {
    const key = normalizeAddress(address);
    if (this.lookups[key]) return;
    this.lookups = { ...this.lookups, [key]: { state: 'looking' } };
    const run = (async () => {
      let outcome: LookupOutcome = 'failed';
      try {
        const r = await callBridge(this.#bridge, 'keys.lookup', { email: address, import: true, onAdd: true });
        if (r.ok) {
          const v = r.value;
          outcome = v.imported.length > 0 ? 'imported' : v.disagreement ? 'disagree' : v.offline ? 'offline' : 'not-found';
        }
        if (outcome === 'imported') await this.refreshKeys();
      } finally {
        this.lookups = { ...this.lookups, [key]: { state: 'done', outcome } };
        this.#lookupRuns.delete(key);
      }
    })();
    this.#lookupRuns.set(key, run);
  }

  /** Until the lookups of recipients added so far have ended (Send waits for them: they may bring the keys). */
  async lookupsSettled(): Promise<void> {
    while (this.#lookupRuns.size > 0) await Promise.allSettled([...this.#lookupRuns.values()]);
  }

  /** Commit the typed text of every field, then check keys for any new address. */
  commitAll(): Promise<void> {
    this.to.commit();
    this.cc.commit();
    this.bcc.commit();
    return this.refreshKeys();
  }

  async addFiles(files: Iterable<File>): Promise<void> {
    for (const file of files) {
      if (file.size > MAX_ATTACHMENT_BYTES) {
        this.error = localError(`"${file.name}" is larger than ${sizeText(MAX_ATTACHMENT_BYTES)}; send large files another way.`);
        continue;
      }
      let content: Uint8Array;
      try {
        content = new Uint8Array(await file.arrayBuffer());
      } catch {
        this.error = localError(`"${file.name}" could not be read.`);
        continue;
      }
      const type = file.type.split(';')[0]!.trim();
      this.attachments = [
        ...this.attachments,
        {
          filename: file.name.slice(0, 255) || 'attachment',
          contentType: MEDIA_TYPE.test(type) ? type : 'application/octet-stream',
          content,
        },
      ];
    }
  }

  removeAttachment(index: number): void {
    this.attachments = this.attachments.filter((_, i) => i !== index);
  }

  /** The draft as the contract takes it. */
  outgoing(): ProcedureInput<'mail.send'>['draft'] {
    const account = this.account;
    return {
      from: { name: account?.displayName ?? '', address: account?.email ?? '' },
      to: this.to.addresses(),
      cc: this.cc.addresses(),
      bcc: this.bcc.addresses(),
      subject: this.subject,
      text: this.body,
      attachments: this.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content })),
      ...(this.inReplyTo ? { inReplyTo: this.inReplyTo } : {}),
      ...(this.references && this.references.length > 0 ? { references: this.references } : {}),
    };
  }

  #snapshot(): string {
    return JSON.stringify({
      a: this.accountId,
      to: this.to.chips,
      cc: this.cc.chips,
      bcc: this.bcc.chips,
      s: this.subject,
      b: this.body,
      f: this.attachments.map((x) => [x.filename, x.content.byteLength]),
      e: this.encryptChoice,
    });
  }

  /** Something differs from the last saved draft. */
  get unsaved(): boolean {
    return this.#snapshot() !== this.#lastSaved;
  }

  /** Save a draft when something changed since the last save (encrypted to the sender when the message will be). */
  saveDraft(): Promise<void> {
    if (this.#saving) return this.#saving;
    if (this.sent || this.sending || !this.unsaved) return Promise.resolve();
    const snapshot = this.#snapshot();
    const input: ProcedureInput<'drafts.save'> = {
      accountId: this.accountId,
      ...(this.draftId !== null ? { id: this.draftId } : {}),
      draft: this.outgoing(),
      encrypt: this.encrypt,
    };
    this.#saving = (async () => {
      const r = await callBridge(this.#bridge, 'drafts.save', input);
      if (!r.ok) {
        this.draftError = r.error;
        return;
      }
      this.draftError = null;
      this.draftId = r.value.id;
      this.draftSavedAt = r.value.updatedAt;
      this.#lastSaved = snapshot;
    })().finally(() => {
      this.#saving = null;
    });
    return this.#saving;
  }

  /** Save drafts every `intervalMs` while the composer is open. */
  startAutosave(intervalMs = 4000): void {
    this.stopAutosave();
    this.#timer = setInterval(() => void this.saveDraft(), intervalMs);
  }

  stopAutosave(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /**
   * Send: commit typed addresses, check keys, and either queue the message
   * or open the no-key prompt. Returns what happened.
   */
  async send(): Promise<SendOutcome> {
    if (this.sending || this.sent || this.waitingForLookups) return 'failed';
    await this.commitAll();
    if (this.lookingUp.length > 0) {
      this.waitingForLookups = true;
      try {
        await this.lookupsSettled();
      } finally {
        this.waitingForLookups = false;
      }
    }
    const plan = sendPlan(this.encrypt, this.recipients);
    if (plan.kind === 'invalid') {
      this.error = localError(plan.problem);
      return 'invalid';
    }
    if (!this.account) {
      this.error = localError('Choose the account to send from.');
      return 'invalid';
    }
    if (plan.kind === 'no-key') {
      this.prompt = { missing: plan.missing, lookup: 'idle', results: [] };
      return 'prompt';
    }
    return this.#deliver(plan.encrypt);
  }

  async #deliver(encrypt: boolean): Promise<'sent' | 'unlock' | 'failed'> {
    this.sending = true;
    this.error = null;
    await this.#saving;
    const r = await callBridge(this.#bridge, 'mail.send', { accountId: this.accountId, draft: this.outgoing(), encrypt, sign: this.sign });
    if (!r.ok) {
      this.sending = false;
      const locked =
        r.error.code === 'key-passphrase-required'
          ? lockedKeys(r.error.details, this.#context.ownKeys?.() ?? [], this.account?.email ?? null)
          : [];
      if (locked.length > 0) {
        this.unlock = new PassphrasePrompt(this.#bridge, locked);
        this.#unlockEncrypt = encrypt;
        return 'unlock';
      }
      this.error = r.error;
      return 'failed';
    }
    this.stopAutosave();
    this.sent = r.value;
    this.sending = false;
    this.prompt = null;
    // The message is safe in the outbox: its draft goes.
    if (this.draftId !== null) {
      const id = this.draftId;
      const d = await callBridge(this.#bridge, 'drafts.delete', { id });
      if (d.ok) this.draftId = null;
    }
    return 'sent';
  }

  /** Unlock prompt: unlock the signing key (the passphrase goes to the keyring only), then send as decided. */
  async unlockAndSend(): Promise<'sent' | 'unlock' | 'failed'> {
    const prompt = this.unlock;
    if (!prompt || !(await prompt.unlock())) return 'unlock';
    if (this.unlock !== prompt) return 'failed'; // cancelled meanwhile
    this.unlock = null;
    return this.#deliver(this.#unlockEncrypt);
  }

  cancelUnlock(): void {
    this.unlock?.clear();
    this.unlock = null;
  }

  /** No-key prompt: look up keys for the recipients without one (Web Key Directory, keyserver), importing what is found. */
  async lookUpKeys(): Promise<boolean> {
    const prompt = this.prompt;
    if (!prompt || prompt.lookup === 'looking') return false;
    this.prompt = { ...prompt, lookup: 'looking', results: [] };
    const results = await Promise.all(
      // A key change is the user's choice between keys already here: looking up more keys does not decide it.
      prompt.missing
        .filter((m) => m.state !== 'changed')
        .map(async (m) => {
          const r = await callBridge(this.#bridge, 'keys.lookup', { email: m.address, import: true });
          if (!r.ok) return { address: m.address, imported: 0, error: r.error.summary };
          const errors = r.value.found.map((f) => f.error).filter((e): e is string => Boolean(e));
          return {
            address: m.address,
            imported: r.value.imported.length,
            error: r.value.imported.length === 0 ? errors.join('; ') || 'No key found.' : null,
          };
        }),
    );
    await this.refreshKeys();
    const missing = this.recipients.filter((r) => !usableKey(r.state));
    if (!this.prompt) return false; // cancelled meanwhile
    this.prompt = { missing, lookup: 'done', results };
    return missing.length === 0;
  }

  /** No-key prompt: the recipients all have keys now; send encrypted. */
  async sendEncrypted(): Promise<SendOutcome> {
    this.prompt = null;
    this.encryptChoice = true;
    return this.send();
  }

  /** No-key prompt: the user chose, explicitly, to send this message unencrypted. */
  async sendUnencrypted(): Promise<'sent' | 'unlock' | 'failed'> {
    if (!this.prompt) return 'failed';
    this.prompt = null;
    this.encryptChoice = false;
    return this.#deliver(false);
  }

  /**
   * Key-change prompt: the key to use for the address from now on (the new
   * one, or the one in use so far); the key states are asked again, and the
   * prompt then lists only who is still without a usable key.
   */
  async acceptKey(address: string, fingerprint: string): Promise<boolean> {
    const r = await callBridge(this.#bridge, 'keys.accept', { address, fingerprint });
    if (!r.ok) {
      this.error = r.error;
      return false;
    }
    const id = normalizeAddress(address);
    const rest = Object.fromEntries(Object.entries(this.keyStates).filter(([k]) => k !== id));
    this.keyStates = rest;
    await this.refreshKeys();
    if (this.prompt) this.prompt = { ...this.prompt, missing: this.recipients.filter((x) => x.state !== 'invalid' && !usableKey(x.state)) };
    return true;
  }

  /**
   * No-key prompt: take the recipients without a usable key off the message
   * (To, Cc and Bcc), and go back to it, still encrypted, for the user to
   * see who is left before pressing Send again.
   */
  removeKeyless(): void {
    const prompt = this.prompt;
    if (!prompt) return;
    const keyless = new Set(prompt.missing.map((m) => normalizeAddress(m.address)));
    for (const field of [this.to, this.cc, this.bcc])
      field.chips = field.chips.filter((c) => c.invalid || !keyless.has(normalizeAddress(c.address)));
    this.prompt = null;
  }

  cancelPrompt(): void {
    this.prompt = null;
  }

  /** Close: the draft is kept (saved now) unless discarded. */
  async close(): Promise<void> {
    this.stopAutosave();
    if (!this.sent) await this.saveDraft();
  }

  /** Throw the message away, its saved draft too. */
  async discard(): Promise<void> {
    this.stopAutosave();
    if (this.draftId !== null) await callBridge(this.#bridge, 'drafts.delete', { id: this.draftId });
    this.draftId = null;
    this.#lastSaved = this.#snapshot();
  }
}

/** The address typed in a field, if it is one (for a chip preview while typing). */
export function typedAddress(text: string): NamedAddress | null {
  return parseEntry(text);
}
