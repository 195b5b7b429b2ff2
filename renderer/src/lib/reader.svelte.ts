import type { SealpostBridge } from '../../../app/ipc/contract.ts';
import type { KeySummary } from '../../../app/keys.ts';
import type { MessageItem, MessageView, Settings } from '../../../app/mail.ts';
import { plural } from './format.ts';
import { callBridge, type UiError } from './outcome.ts';
import { frameDocument, type SanitizedMail } from './sanitize.ts';
import { securityBanner, type Banner } from './security.ts';

/** The renderer's sanitizer (DOMPurify bound to the window), given the message's HTML parts; absent in Node, where no HTML is shown. */
export type Sanitizer = (parts: readonly string[], allowRemote: boolean) => SanitizedMail;

/**
 * The message's HTML parts, cut where main says each starts (`htmlStarts`):
 * they are sanitized one by one, so that markup left open in one part cannot
 * take in the next (EFAIL's direct exfiltration). Offsets out of order or
 * out of range are ignored.
 */
export function htmlParts(html: string, starts: readonly number[] = [0]): string[] {
  const cuts = [0];
  for (const s of starts) if (Number.isInteger(s) && s > cuts.at(-1)! && s < html.length) cuts.push(s);
  // Each part but the last ends with the newline that joined it to the next.
  return cuts.map((start, i) => {
    const end = cuts[i + 1];
    return end === undefined ? html.slice(start) : html.slice(start, html[end - 1] === '\n' ? end - 1 : end);
  });
}

/** Most remote URLs one frame may load (as main's MAX_REMOTE_URLS and the contract's cap). */
const MAX_REMOTE_URLS = 2000;

export interface ReaderContext {
  /** Every key in the keyring (for the signer's trust and the keys to unlock). */
  keys(): readonly KeySummary[];
  settings(): Settings;
}

export interface FrameView {
  /** Where main serves the frame's document (`mail.frame`): a URL, not srcdoc, so the page's policy is not inherited. */
  url: string;
  blockedRemote: number;
  allowedRemote: number;
}

/**
 * The reader: one message's security report and content (`mail.read`), the
 * banner drawn from the report, the passphrase prompt for a locked key, the
 * HTML view (sanitized, in a sandboxed frame, remote content only on
 * request), attachments and keys found in the message.
 */
export class ReaderState {
  message = $state<MessageItem | null>(null);
  view = $state<MessageView | null>(null);
  loading = $state(false);
  error = $state<UiError | null>(null);
  /** HTML instead of the text (only offered when the message has HTML). */
  showHtml = $state(false);
  /** Remote content allowed for this message (asked each time; never with the setting "never"). */
  remoteAllowed = $state(false);
  /** Passphrase prompt for a locked key. */
  passphrase = $state('');
  unlockFingerprint = $state<string | null>(null);
  unlockError = $state<UiError | null>(null);
  unlocking = $state(false);
  /** The outcome of the last attachment, key import or lookup action. */
  notice = $state<{ kind: 'ok' | 'error'; text: string; error?: UiError } | null>(null);
  busy = $state<null | 'attachment' | 'keys' | 'lookup'>(null);

  banner = $derived.by((): Banner | null => (this.view ? securityBanner(this.view.report, this.#context.keys()) : null));
  remotePolicy = $derived.by(() => this.#context.settings().remoteContent);
  /** The HTML frame's URL (served by main with the frame's own policy) and what the sanitizer removed or kept. */
  frame = $state<FrameView | null>(null);
  /** Keys in the message that are not in the keyring yet. */
  newKeys = $derived.by(() => {
    const known = new Set(this.#context.keys().map((k) => k.fingerprint));
    return (this.view?.report.keys ?? []).filter((k) => !known.has(k.fingerprint.toUpperCase()));
  });

  readonly #bridge: SealpostBridge;
  readonly #context: ReaderContext;
  readonly #sanitize: Sanitizer | null;
  #token = 0;
  #frameToken = 0;

  constructor(bridge: SealpostBridge, context: ReaderContext, sanitize: Sanitizer | null = null) {
    this.#bridge = bridge;
    this.#context = context;
    this.#sanitize = sanitize;
  }

  /** Open a message (a newer open wins over one still loading). */
  async open(item: MessageItem): Promise<boolean> {
    const token = ++this.#token;
    const same = this.message?.folderId === item.folderId && this.message.uid === item.uid;
    this.message = item;
    if (!same) {
      this.view = null;
      this.showHtml = false;
      this.remoteAllowed = false;
      this.notice = null;
      this.#clearUnlock();
    }
    this.loading = true;
    this.error = null;
    const r = await callBridge(this.#bridge, 'mail.read', { folderId: item.folderId, uid: item.uid });
    if (token !== this.#token) return false;
    this.loading = false;
    if (!r.ok) {
      this.error = r.error;
      return false;
    }
    this.view = r.value;
    void this.#renderFrame();
    const unlock = this.banner?.unlock;
    if (unlock && !unlock.candidates.some((c) => c.fingerprint === this.unlockFingerprint))
      this.unlockFingerprint = unlock.candidates[0]?.fingerprint ?? null;
    return true;
  }

  /** Read the open message again (a key was unlocked or imported). */
  reload(): Promise<boolean> {
    return this.message ? this.open(this.message) : Promise.resolve(false);
  }

  clear(): void {
    this.#token++;
    this.message = null;
    this.view = null;
    this.loading = false;
    this.error = null;
    this.showHtml = false;
    this.remoteAllowed = false;
    this.notice = null;
    this.#clearUnlock();
    void this.#renderFrame();
  }

  /**
   * Builds the frame for the HTML view: sanitized (DOMPurify), wrapped in a
   * document with its own CSP, handed to main, which serves it at a URL with
   * that policy as a header (`mail.frame`). Null when the text is shown.
   */
  #renderFrame(): Promise<void> {
    const token = ++this.#frameToken;
    const html = this.view?.html;
    if (!this.showHtml || !html || !this.#sanitize) {
      this.frame = null;
      return Promise.resolve();
    }
    const allow = this.remoteAllowed && this.remotePolicy !== 'never';
    const clean = this.#sanitize(htmlParts(html, this.view?.htmlStarts), allow);
    // The URLs it kept go to main too: the session lets the frame load those and nothing else.
    const input = {
      document: frameDocument(clean.html, allow),
      allowRemote: allow,
      remoteUrls: allow ? clean.remoteUrls.slice(0, MAX_REMOTE_URLS) : [],
    };
    return callBridge(this.#bridge, 'mail.frame', input).then((r) => {
      if (token !== this.#frameToken) return;
      if (!r.ok) {
        this.frame = null;
        this.error = r.error;
        return;
      }
      this.frame = { url: r.value.url, blockedRemote: clean.blockedRemote, allowedRemote: clean.allowedRemote };
    });
  }

  #clearUnlock(): void {
    this.passphrase = '';
    this.unlockFingerprint = null;
    this.unlockError = null;
  }

  /** The keyring changed: a message that could not be read or checked may be readable now. */
  onKeyringChanged(): void {
    const report = this.view?.report;
    if (report && (report.encryption.status === 'no-key' || report.signature.status === 'unknown-key')) void this.reload();
  }

  /** Unlock the key the banner names with the typed passphrase (it goes to the keyring only), then read again. */
  async unlock(): Promise<boolean> {
    const fingerprint = this.unlockFingerprint;
    if (!fingerprint || !this.passphrase || this.unlocking) return false;
    this.unlocking = true;
    const passphrase = this.passphrase;
    this.passphrase = '';
    const r = await callBridge(this.#bridge, 'session.unlock', { fingerprint, passphrase });
    this.unlocking = false;
    if (!r.ok) {
      this.unlockError = r.error;
      return false;
    }
    this.unlockError = null;
    return this.reload();
  }

  /** Show the HTML; remote content stays blocked until allowRemote(). */
  setShowHtml(show: boolean): Promise<void> {
    this.showHtml = show && Boolean(this.view?.html);
    return this.#renderFrame();
  }

  /** Load remote content for this message only (never when the settings say "never"). */
  allowRemote(): boolean {
    if (this.remotePolicy === 'never') return false;
    this.remoteAllowed = true;
    void this.#renderFrame();
    return true;
  }

  async saveAttachment(index: number): Promise<boolean> {
    const m = this.message;
    if (!m || this.busy) return false;
    this.busy = 'attachment';
    const r = await callBridge(this.#bridge, 'mail.saveAttachment', { folderId: m.folderId, uid: m.uid, index });
    this.busy = null;
    if (!r.ok) {
      this.notice = { kind: 'error', text: r.error.summary, error: r.error };
      return false;
    }
    const name = this.view?.report.attachments[index]?.filename ?? 'The attachment';
    this.notice = r.value.saved ? { kind: 'ok', text: `Saved ${name}.` } : null;
    return r.value.saved;
  }

  /** Import keys the message carries (all new ones by default). */
  async importKeys(fingerprints: string[] = this.newKeys.map((k) => k.fingerprint)): Promise<boolean> {
    const m = this.message;
    if (!m || fingerprints.length === 0 || this.busy) return false;
    this.busy = 'keys';
    const r = await callBridge(this.#bridge, 'mail.importKeys', { folderId: m.folderId, uid: m.uid, fingerprints });
    this.busy = null;
    if (!r.ok) {
      this.notice = { kind: 'error', text: r.error.summary, error: r.error };
      return false;
    }
    const { changed, problems } = r.value;
    const text =
      changed.length > 0
        ? `Imported ${plural(changed.length, 'key', 'keys')}: ${changed.map((k) => k.userIds[0] ?? k.keyId).join(', ')}.`
        : 'No new keys.';
    this.notice = {
      kind: problems.length > 0 && changed.length === 0 ? 'error' : 'ok',
      text: problems.length > 0 ? `${text} ${problems.map((p) => p.message).join('; ')}.` : text,
    };
    await this.reload();
    return changed.length > 0;
  }

  /** The signer's key is missing: look it up for the sender's address (WKD, keyserver) and import it. */
  async lookupSigner(): Promise<boolean> {
    const email = this.view?.report.from?.address;
    if (!email || this.busy) return false;
    this.busy = 'lookup';
    const r = await callBridge(this.#bridge, 'keys.lookup', { email, import: true });
    this.busy = null;
    if (!r.ok) {
      this.notice = { kind: 'error', text: r.error.summary, error: r.error };
      return false;
    }
    if (r.value.imported.length === 0) {
      this.notice = { kind: 'error', text: `No key found for ${email}.` };
      return false;
    }
    this.notice = { kind: 'ok', text: `Imported ${plural(r.value.imported.length, 'key', 'keys')} for ${email}.` };
    await this.reload();
    return true;
  }
}
