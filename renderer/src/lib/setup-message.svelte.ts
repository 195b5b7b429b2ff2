import type { SealpostBridge } from '../../../app/ipc/contract.ts';
import type { KeySummary } from '../../../app/keys.ts';
import { parseSetupCode, setupCodeBlocks } from '../../../app/setup-code.ts';
import { callBridge, localError, type UiError } from './outcome.ts';

/**
 * The Autocrypt Setup Message in the app (Autocrypt Level 1, section 4.4):
 * moving the user's secret key to another mail app. Main makes and reads the
 * message and the keyring opens it; here the Setup Code is shown once, and
 * typed, as the specification's nine blocks of four digits.
 */

/** Nine blocks of four digits (Autocrypt Level 1, "Setup Code"). */
export const SETUP_CODE_BLOCKS = 9;
const BLOCK_DIGITS = 4;
/** The same cap main enforces for a setup message file (main/pgp-mime/read/setup-message.ts). */
export const MAX_SETUP_MESSAGE_BYTES = 8 * 1024 * 1024;
export const MIN_NEW_PASSPHRASE_LENGTH = 8;

/**
 * The `Passphrase-Begin` armor header of the payload (Autocrypt Level 1,
 * 4.4.2: the first digits of the code, for the importing app to show), when
 * the file carries the armor as readable text; null otherwise (a body in
 * base64, no such header). Only a hint: main and the keyring decide.
 */
export function passphraseBegin(data: Uint8Array): string | null {
  const text = new TextDecoder('latin1').decode(data.subarray(0, MAX_SETUP_MESSAGE_BYTES));
  const start = text.indexOf('-----BEGIN PGP MESSAGE-----');
  if (start < 0) return null;
  // The armor headers follow the BEGIN line directly (RFC 9580, section 6.2); in an HTML page a line may end in <br>.
  const headers = text.slice(start, start + 600).split(/\r\n|\r|\n/);
  for (const line of headers.slice(1)) {
    const clean = line.replace(/<[^<>]*>/g, '').trim();
    if (clean === '') break;
    const m = /^Passphrase-Begin:\s*([0-9]{1,4})$/i.exec(clean);
    if (m) return m[1]!;
  }
  return null;
}

/** What the user can do about a refused import, by registry code (the registry's text stays in the details). */
export function setupImportAdvice(error: UiError): UiError {
  const summary = (() => {
    switch (error.code) {
      case 'crypto-wrong-password':
        return 'The Setup Code does not open this message. Check each block against the code your other device showed for this message.';
      case 'setup-message-invalid':
        switch (error.details.reason) {
          case 'not-marked':
            return 'This mail is not an Autocrypt Setup Message (it has no Autocrypt-Setup-Message header).';
          case 'not-to-self':
            return 'This setup message was not sent from an address to itself, so its key is not taken as yours.';
          case 'other-version':
            return 'This setup message is of a newer kind that Sealpost cannot read.';
          case 'too-large':
            return 'This file is far larger than a setup message.';
          case 'no-payload':
            return 'This file holds no Autocrypt Setup Message. Pick the message itself (.eml) or its attachment (autocrypt-setup-message.html).';
        }
        return error.summary;
      case 'key-unparseable':
        return 'The message opened with the code, but the key in it cannot be used.';
      case 'crypto-no-integrity':
      case 'crypto-malformed':
        return 'This setup message is damaged or not made the way the specification asks.';
      default:
        return error.summary;
    }
  })();
  return { ...error, summary };
}

/**
 * Making a setup message for one of the user's keys: main asks the keyring
 * for it (with the key's passphrase, asked here when the keyring says the
 * key is protected), saves it where the user picks, and answers with the
 * code, which is shown once and forgotten when the dialog closes. A
 * cancelled save dialog shows nothing.
 */
export class SetupMessageCreation {
  /** `idle`: nothing shown; `passphrase`: the key's passphrase is asked; `code`: the code is shown; `error`: why it failed. */
  step = $state<'idle' | 'passphrase' | 'code' | 'error'>('idle');
  key = $state.raw<KeySummary | null>(null);
  /** Typed by the user (bound to the field); empty again once sent. */
  passphrase = $state('');
  error = $state<UiError | null>(null);
  busy = $state(false);
  code = $state<string | null>(null);
  blocks = $derived(this.code ? setupCodeBlocks(this.code) : []);

  readonly #bridge: SealpostBridge;

  constructor(bridge: SealpostBridge) {
    this.#bridge = bridge;
  }

  /** Make and save a setup message for `key`; its passphrase is asked only when the keyring needs it. */
  start(key: KeySummary): Promise<void> {
    if (this.busy) return Promise.resolve();
    this.close();
    this.key = key;
    return this.#create(null);
  }

  /** Try again with the typed passphrase (cleared as the call starts). */
  submitPassphrase(): Promise<void> {
    if (this.busy || !this.passphrase || this.step !== 'passphrase') return Promise.resolve();
    const passphrase = this.passphrase;
    this.passphrase = '';
    return this.#create(passphrase);
  }

  async #create(passphrase: string | null): Promise<void> {
    const key = this.key;
    if (!key) return;
    this.busy = true;
    try {
      const r = await callBridge(this.#bridge, 'keys.setupMessage.create', { fingerprint: key.fingerprint, passphrase });
      if (this.key !== key) return; // closed meanwhile
      if (!r.ok) {
        const locked = r.error.code === 'key-passphrase-required' || r.error.code === 'key-wrong-passphrase';
        this.step = locked ? 'passphrase' : 'error';
        this.error = locked && passphrase === null ? null : r.error;
        return;
      }
      this.error = null;
      if (!r.value.saved || r.value.code === null) {
        this.close(); // the save dialog was cancelled: nothing was made that needs a code
        return;
      }
      this.code = r.value.code;
      this.step = 'code';
    } finally {
      this.busy = false;
    }
  }

  /** Close the dialog: the code and anything typed are forgotten. */
  close(): void {
    this.step = 'idle';
    this.key = null;
    this.passphrase = '';
    this.error = null;
    this.code = null;
  }
}

/**
 * Importing a setup message: the file (read as bytes here, parsed by main),
 * the Setup Code in nine boxes of four digits (prefilled with the
 * `Passphrase-Begin` hint when the file shows it), and an optional new
 * passphrase for the key. The box helpers say which box gets the focus next.
 */
export class SetupMessageImport {
  file = $state.raw<{ name: string; data: Uint8Array } | null>(null);
  /** The first digits of the code, as the message gives them (null: not readable in the file). */
  begin = $state<string | null>(null);
  blocks = $state<string[]>(Array.from({ length: SETUP_CODE_BLOCKS }, () => ''));
  passphrase = $state('');
  repeat = $state('');
  error = $state<UiError | null>(null);
  busy = $state(false);

  /** The code in its canonical form once every box holds four digits; null before. */
  code = $derived(this.blocks.every((b) => b.length === BLOCK_DIGITS) ? this.blocks.join('-') : null);
  /** The first thing that stops the import, or null. */
  problem = $derived.by((): string | null => {
    if (!this.file) return 'Choose the setup message file first.';
    if (this.code === null) return 'Enter all nine blocks of the Setup Code, four digits each.';
    if (this.begin && !this.code.startsWith(this.begin)) return `The Setup Code of this message begins with ${this.begin}.`;
    if (this.passphrase.length > 0 && this.passphrase.length < MIN_NEW_PASSPHRASE_LENGTH)
      return `The new passphrase needs at least ${MIN_NEW_PASSPHRASE_LENGTH} characters (or none).`;
    if (this.passphrase !== this.repeat) return 'The two passphrases differ.';
    return null;
  });

  readonly #bridge: SealpostBridge;

  constructor(bridge: SealpostBridge) {
    this.#bridge = bridge;
  }

  /** Take the file the user picked; false (with `error`) when it cannot be a setup message. */
  async chooseFile(file: Blob & { name?: string }): Promise<boolean> {
    const label = file.name ? `"${file.name}"` : 'The file';
    this.error = null;
    if (file.size === 0) return this.#refuse(`${label} is empty.`);
    if (file.size > MAX_SETUP_MESSAGE_BYTES) return this.#refuse(`${label} is far larger than a setup message.`);
    let data: Uint8Array;
    try {
      data = new Uint8Array(await file.arrayBuffer());
    } catch {
      return this.#refuse(`${label} could not be read.`);
    }
    this.file = { name: file.name ?? 'setup message', data };
    const begin = passphraseBegin(data);
    const hadHint = this.begin;
    this.begin = begin;
    // Prefill the hint (Autocrypt Level 1, 4.4.2); what the user typed already is kept unless it was the old hint.
    if (
      begin &&
      (this.blocks.every((b) => b === '') ||
        (hadHint !== null && this.blocks[0] === hadHint && this.blocks.slice(1).every((b) => b === '')))
    )
      this.blocks[0] = begin;
    return true;
  }

  #refuse(text: string): false {
    this.file = null;
    this.begin = null;
    this.error = localError(text);
    return false;
  }

  /** The box to focus for the code to go on: the first one that is not full, or the last. */
  get firstOpenBox(): number {
    const open = this.blocks.findIndex((b) => b.length < BLOCK_DIGITS);
    return open < 0 ? SETUP_CODE_BLOCKS - 1 : open;
  }

  /**
   * What was typed into box `index` (its whole value): digits only, spread
   * over the following boxes when there are more than four. Returns the box
   * to focus: the next one once this one is full.
   */
  input(index: number, value: string): number {
    this.error = null; // the code changes: what was said of the one before no longer holds
    const digits = value.replace(/[^0-9]/g, '');
    if (digits.length <= BLOCK_DIGITS) {
      this.blocks[index] = digits;
      return digits.length === BLOCK_DIGITS && index < SETUP_CODE_BLOCKS - 1 ? index + 1 : index;
    }
    return this.#spread(index, digits);
  }

  /**
   * Text pasted into box `index`: a whole code (in any writing the code
   * reader takes) fills every box; other digits fill from this box on.
   * Returns the box to focus, or null when there are no digits to take.
   */
  paste(index: number, text: string): number | null {
    this.error = null;
    const whole = parseSetupCode(text);
    if (whole) {
      this.blocks = setupCodeBlocks(whole);
      return SETUP_CODE_BLOCKS - 1;
    }
    const digits = text.replace(/[\s-]+/g, '');
    if (!/^[0-9]+$/.test(digits)) return null;
    return this.#spread(index, this.blocks[index]! + digits);
  }

  #spread(index: number, digits: string): number {
    let at = index;
    let rest = digits;
    const blocks = [...this.blocks];
    while (rest.length > 0 && at < SETUP_CODE_BLOCKS) {
      blocks[at] = rest.slice(0, BLOCK_DIGITS);
      rest = rest.slice(BLOCK_DIGITS);
      if (rest.length > 0) at++;
    }
    this.blocks = blocks;
    return blocks[at]!.length === BLOCK_DIGITS && at < SETUP_CODE_BLOCKS - 1 ? at + 1 : at;
  }

  /** Backspace in box `index`: in an empty box it goes back to the one before (returned); null lets the box delete as usual. */
  backspace(index: number): number | null {
    return this.blocks[index] === '' && index > 0 ? index - 1 : null;
  }

  /**
   * Send the file and the code to main. Returns the keys imported (empty
   * when the key was already here as it is), or null with `error` set. The
   * passphrases are cleared whatever the outcome.
   */
  async submit(): Promise<KeySummary[] | null> {
    if (this.busy) return null;
    const problem = this.problem;
    if (problem || !this.file || !this.code) {
      this.error = localError(problem ?? 'Choose the setup message file first.');
      return null;
    }
    const passphrase = this.passphrase || null;
    this.passphrase = '';
    this.repeat = '';
    this.busy = true;
    this.error = null;
    try {
      const r = await callBridge(this.#bridge, 'keys.setupMessage.import', { data: this.file.data, code: this.code, passphrase });
      if (!r.ok) {
        this.error = setupImportAdvice(r.error);
        return null;
      }
      return r.value.changed;
    } finally {
      this.busy = false;
    }
  }

  reset(): void {
    this.file = null;
    this.begin = null;
    this.blocks = Array.from({ length: SETUP_CODE_BLOCKS }, () => '');
    this.passphrase = '';
    this.repeat = '';
    this.error = null;
  }
}
