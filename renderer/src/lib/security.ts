import type { InspectReport } from '../../../app/inspect-report.ts';
import type { KeySummary, Trust } from '../../../app/keys.ts';
import { fingerprintGroups, sameAddress, splitUserId } from './format.ts';

/**
 * The security banner's content, decided from the message's InspectReport
 * alone (and the user's own keys, to know which one to unlock). The reader
 * draws it outside the message frame, so nothing in a message can imitate it.
 */

export type Tone = 'secure' | 'neutral' | 'warning' | 'error';
export type BannerIcon = 'lock' | 'lock-open' | 'signed' | 'unsigned' | 'warning' | 'error' | 'key' | 'info';

export interface BannerLine {
  tone: Tone;
  icon: BannerIcon;
  title: string;
  text: string;
  /** The report's warning code, when the line comes from one. */
  code?: string;
}

export interface SignerView {
  name: string;
  address: string;
  fingerprint: string;
  groups: string[];
  /** The user's own acceptance of the signer's key, when the key is in the keyring. */
  trust: Trust | null;
}

export interface UnlockRequest {
  /** The secret keys that could open the message (fingerprints), in the keyring's order. */
  candidates: { fingerprint: string; label: string }[];
}

export interface Banner {
  /** The worst tone of all lines: what the banner's frame shows. */
  tone: Tone;
  /** One short line for the banner heading ("Encrypted and signed", "Bad signature", ...). */
  headline: string;
  encryption: BannerLine;
  signature: BannerLine;
  signer: SignerView | null;
  /** Further findings (partial protection, mismatched headers, truncated text...). */
  notes: BannerLine[];
  /** Set when a locked secret key of the user's could open the message. */
  unlock: UnlockRequest | null;
  /** Key ids the message is encrypted to, when none of them is the user's. */
  missingKeyIds: string[];
  /** The signer's key is not in the keyring: offer to look it up for the sender's address. */
  offerLookup: boolean;
}

const RANK: Record<Tone, number> = { neutral: 0, secure: 1, warning: 2, error: 3 };

export function worstTone(tones: Tone[]): Tone {
  return tones.reduce<Tone>((worst, t) => (RANK[t] > RANK[worst] ? t : worst), 'neutral');
}

/** Lines for warning codes that the encryption and signature lines do not already say. */
const NOTES: Record<string, { tone: Tone; icon: BannerIcon; title: string }> = {
  'partially-signed': { tone: 'warning', icon: 'warning', title: 'Only partly signed' },
  'partially-encrypted': { tone: 'warning', icon: 'warning', title: 'Only partly encrypted' },
  'from-mismatch': { tone: 'error', icon: 'error', title: 'Sender differs' },
  'multiple-from': { tone: 'warning', icon: 'warning', title: 'More than one sender' },
  'bad-signature-data': { tone: 'error', icon: 'error', title: 'Unreadable signature' },
  'unsupported-signature': { tone: 'warning', icon: 'info', title: 'Signature not checked' },
  'too-complex': { tone: 'warning', icon: 'warning', title: 'Not read completely' },
  'text-truncated': { tone: 'neutral', icon: 'info', title: 'Text shortened' },
  'repaired-exchange': { tone: 'neutral', icon: 'info', title: 'Repaired by Sealpost' },
  'bad-key-data': { tone: 'neutral', icon: 'info', title: 'Unreadable key' },
  'signer-key-changed': { tone: 'warning', icon: 'warning', title: 'Signed with a different key than before' },
};
/** Said by the encryption or signature line already. */
const COVERED = new Set(['needs-passphrase', 'no-integrity', 'integrity-failed', 'too-large', 'malformed-encryption', 'signer-mismatch']);

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function encryptionLine(report: InspectReport, locked: boolean): BannerLine {
  const enc = report.encryption;
  switch (enc.status) {
    case 'decrypted':
      return {
        tone: 'secure',
        icon: 'lock',
        title: 'Encrypted',
        text: enc.protectedHeaders
          ? 'Only the recipients could read this message, its subject included.'
          : 'Only the recipients could read this message. Its subject was sent unencrypted.',
      };
    case 'no-key':
      return locked
        ? {
            tone: 'warning',
            icon: 'key',
            title: 'Encrypted: your key is locked',
            text: 'Enter the passphrase of your key to read this message.',
          }
        : {
            tone: 'warning',
            icon: 'key',
            title: 'Encrypted to a key you do not have',
            text: 'This message cannot be read with the keys in your keyring.',
          };
    case 'failed': {
      const why = report.warnings.find((w) => ['integrity-failed', 'no-integrity', 'too-large', 'malformed-encryption'].includes(w.code));
      return {
        tone: 'error',
        icon: 'error',
        title: 'Decryption failed',
        text: why ? `${capitalize(why.message)}.` : 'The encrypted content could not be read safely; it is not shown.',
        code: why?.code,
      };
    }
    case 'none':
      return {
        tone: 'neutral',
        icon: 'lock-open',
        title: 'Not encrypted',
        text: 'This message was sent readable to the mail servers it passed through.',
      };
  }
}

function signatureLine(report: InspectReport, signer: SignerView | null): BannerLine {
  const sig = report.signature;
  const who = signer ? [signer.name, signer.address && `<${signer.address}>`].filter(Boolean).join(' ') : 'an unknown key';
  const sender = report.from?.address ?? 'the sender';
  switch (sig.status) {
    case 'valid':
      if (!sig.signerMatchesFrom) {
        return {
          tone: 'warning',
          icon: 'warning',
          title: 'Signed by someone else',
          text: `Signed by ${who}, who is not the sender ${sender}.`,
          code: 'signer-mismatch',
        };
      }
      if (signer?.trust === 'rejected')
        return {
          tone: 'error',
          icon: 'error',
          title: 'Signed with a rejected key',
          text: `Signed by ${who}, with a key you marked as rejected.`,
        };
      return {
        tone: 'secure',
        icon: 'signed',
        title: `Signed by ${who}`,
        text:
          signer?.trust === 'verified'
            ? 'You verified this key.'
            : 'The signature is valid. Compare the fingerprint with the sender to verify the key.',
      };
    case 'invalid':
      return {
        tone: 'error',
        icon: 'error',
        title: 'Bad signature',
        text: 'The message was changed after it was signed, or the signature is forged. Do not trust its content.',
      };
    case 'unknown-key':
      return {
        tone: 'warning',
        icon: 'key',
        title: 'Signed with a key you do not have',
        text: 'The signature cannot be checked without the signer\u2019s key.',
      };
    case 'expired-key':
      return {
        tone: 'warning',
        icon: 'warning',
        title: 'Signed with an expired key',
        text: `Signed by ${who}, with a key that has expired.`,
      };
    case 'revoked-key':
      return { tone: 'error', icon: 'error', title: 'Signed with a revoked key', text: `Signed by ${who}, with a key its owner revoked.` };
    case 'none':
      return { tone: 'neutral', icon: 'unsigned', title: 'Not signed', text: 'Nothing shows who wrote this message.' };
  }
}

function signerView(report: InspectReport, keys: readonly KeySummary[]): SignerView | null {
  const s = report.signature.signer;
  if (!s) return null;
  const fromAddress = report.from?.address;
  // The user id that carries the From address, when there is one: that is the one the signature speaks for.
  const uid = (fromAddress && s.userIds.find((u) => sameAddress(splitUserId(u).address, fromAddress))) ?? s.userIds[0] ?? '';
  const { name, address } = splitUserId(uid);
  const known = keys.find((k) => k.fingerprint === s.fingerprint.toUpperCase());
  return { name, address, fingerprint: s.fingerprint, groups: fingerprintGroups(s.fingerprint), trust: known?.trust ?? null };
}

/** The secret keys that can open a message whose key is locked. */
function unlockRequest(report: InspectReport, ownKeys: readonly KeySummary[]): UnlockRequest | null {
  if (report.encryption.status !== 'no-key') return null;
  const label = (fpr: string) => {
    const key = ownKeys.find((k) => k.fingerprint === fpr);
    return key ? `${key.userIds[0] ?? key.keyId} (${key.keyId})` : fpr;
  };
  const named = [...new Set(report.encryption.lockedKeys.map((f) => f.toUpperCase()))];
  if (named.length > 0) return { candidates: named.map((fingerprint) => ({ fingerprint, label: label(fingerprint) })) };
  // No locked key named (none of the user's keys is locked): match the recipients' key ids against the user's secret keys and their subkeys.
  const ids = report.encryption.recipients.map((r) => r.toUpperCase());
  const matching = ownKeys.filter(
    (k) => k.hasSecret && (ids.includes(k.keyId.toUpperCase()) || (k.subkeys ?? []).some((s) => ids.includes(s.keyId.toUpperCase()))),
  );
  if (matching.length === 0) return null;
  return { candidates: matching.map((k) => ({ fingerprint: k.fingerprint, label: label(k.fingerprint) })) };
}

function headlineOf(report: InspectReport, encryption: BannerLine, signature: BannerLine, tone: Tone): string {
  if (report.signature.status === 'invalid') return 'Bad signature';
  if (report.encryption.status === 'failed') return 'Decryption failed';
  if (report.encryption.status === 'no-key') return encryption.title;
  const encrypted = report.encryption.status === 'decrypted';
  const signed = report.signature.status === 'valid';
  if (tone === 'error') return encrypted ? 'Encrypted, with a security problem' : 'Security problem';
  if (tone === 'warning')
    return encrypted ? 'Encrypted, with a warning' : signed || report.signature.status !== 'none' ? signature.title : 'Warning';
  if (encrypted && signed) return 'Encrypted and signed';
  if (encrypted) return 'Encrypted, not signed';
  if (signed) return 'Signed, not encrypted';
  return 'Not encrypted, not signed';
}

export function securityBanner(report: InspectReport, keys: readonly KeySummary[] = []): Banner {
  const ownKeys = keys.filter((k) => k.hasSecret);
  const unlock = unlockRequest(report, ownKeys);
  const signer = signerView(report, keys);
  const encryption = encryptionLine(report, unlock !== null);
  const signature = signatureLine(report, signer);
  const notes: BannerLine[] = [];
  for (const w of report.warnings) {
    if (COVERED.has(w.code)) continue;
    const known = NOTES[w.code];
    notes.push({ ...(known ?? { tone: 'warning', icon: 'warning', title: 'Warning' }), text: `${capitalize(w.message)}.`, code: w.code });
  }
  const tone = worstTone([encryption.tone, signature.tone, ...notes.map((n) => n.tone)]);
  const missingKeyIds = report.encryption.status === 'no-key' && !unlock ? report.encryption.recipients : [];
  return {
    tone,
    headline: headlineOf(report, encryption, signature, tone),
    encryption,
    signature,
    signer,
    notes,
    unlock,
    missingKeyIds,
    offerLookup: report.signature.status === 'unknown-key' && Boolean(report.from?.address),
  };
}
