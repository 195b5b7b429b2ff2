import type { ErrorDetails } from '../../../app/errors.ts';
import type { SealpostBridge } from '../../../app/ipc/contract.ts';
import type { KeySummary } from '../../../app/keys.ts';
import { sameAddress } from './format.ts';
import { callBridge, type UiError } from './outcome.ts';

export interface UnlockCandidate {
  fingerprint: string;
  label: string;
}

/** A key as a prompt names it: its first user id and its key id. */
export function keyLabel(key: KeySummary): string {
  return `${key.userIds[0] ?? key.keyId} (${key.keyId})`;
}

/**
 * The keys a `key-passphrase-required` answer asks for: the ones its details
 * name, or, when main could not tell which key is locked (an empty list),
 * the user's secret keys for `address` (every secret key when the address is
 * not known), for the user to pick from.
 */
export function lockedKeys(
  details: ErrorDetails<'key-passphrase-required'>,
  ownKeys: readonly KeySummary[],
  address: string | null,
): UnlockCandidate[] {
  if (details.fingerprints.length > 0) {
    return details.fingerprints.map((fingerprint) => {
      const key = ownKeys.find((k) => k.fingerprint === fingerprint);
      return { fingerprint, label: key ? keyLabel(key) : fingerprint };
    });
  }
  return ownKeys
    .filter((k) => k.hasSecret && (address === null || k.emails.some((e) => sameAddress(e, address))))
    .map((k) => ({ fingerprint: k.fingerprint, label: keyLabel(k) }));
}

/**
 * A dialog asking for the passphrase of one of the user's keys (chosen among
 * `candidates` when several could do). The passphrase goes to the keyring
 * with `session.unlock` only: it is cleared from the prompt as the call
 * starts, and kept nowhere after it.
 */
export class PassphrasePrompt {
  readonly candidates: readonly UnlockCandidate[];
  fingerprint = $state('');
  /** Typed by the user (bound to the field); empty again once sent. */
  passphrase = $state('');
  error = $state<UiError | null>(null);
  busy = $state(false);
  label = $derived.by(() => this.candidates.find((c) => c.fingerprint === this.fingerprint)?.label ?? this.fingerprint);

  readonly #bridge: SealpostBridge;

  constructor(bridge: SealpostBridge, candidates: readonly UnlockCandidate[]) {
    this.#bridge = bridge;
    this.candidates = candidates;
    this.fingerprint = candidates[0]?.fingerprint ?? '';
  }

  /** Unlock the chosen key with the typed passphrase; false (with `error` set on a refusal) when it stays locked. */
  async unlock(): Promise<boolean> {
    const fingerprint = this.fingerprint;
    if (this.busy || !this.passphrase || !fingerprint) return false;
    const passphrase = this.passphrase;
    this.passphrase = '';
    this.busy = true;
    this.error = null;
    const r = await callBridge(this.#bridge, 'session.unlock', { fingerprint, passphrase });
    this.busy = false;
    if (!r.ok) {
      this.error = r.error;
      return false;
    }
    return true;
  }

  /** Forget what was typed (the prompt is going away). */
  clear(): void {
    this.passphrase = '';
  }
}
