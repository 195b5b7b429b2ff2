/**
 * Reading a stored message, for the app and the command line alike: its raw
 * source from the store, else fetched from the server once (and then kept
 * raw: ciphertext stays ciphertext, sync/fetch-body.ts), then examined by
 * the same code that makes the security report (pgp-mime/read/inspect.ts).
 */
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError } from '../../app/errors.ts';
import type { KeyringCalls, KeyringClient } from '../../app/node/keyring-client.ts';
import type { InspectReport } from '../../app/inspect-report.ts';
import type { Account } from '../accounts/accounts.ts';
import { withImap } from '../mail/imap-session.ts';
import { examineMessage, type ExaminedMessage } from '../pgp-mime/read/inspect.ts';
import type { FolderRow } from '../store/folders.ts';
import { getMessage } from '../store/messages.ts';
import { fetchBody } from '../sync/fetch-body.ts';

/** Fetches the raw source of a message the store knows by header only, and stores it (e.g. `fetchBody` over a session). */
export type FetchRaw = (folder: FolderRow, uid: string) => Promise<Uint8Array>;

/** Fetches over a connection of its own, logged in with the account's password (asked only when a body is needed). */
export function fetchOverOwnConnection(db: DatabaseSync, account: Account, password: () => Promise<string>): FetchRaw {
  return async (folder, uid) => {
    const secret = await password();
    return withImap(account, secret, (session) => fetchBody(db, session, folder, uid));
  };
}

/** The message's raw source: stored, or fetched by `fetch`. A UID the store does not know is refused before anything is fetched. */
export async function messageRaw(db: DatabaseSync, folder: FolderRow, uid: string, fetch: FetchRaw): Promise<Uint8Array> {
  const known = getMessage(db, folder.id, uid);
  if (!known) throw new SealpostError('bad-input', `no message with UID ${uid} in ${folder.path}; sync the folder first`);
  return known.raw ?? (await fetch(folder, uid));
}

export interface ReadMessageInput {
  folder: FolderRow;
  uid: string;
  fetch: FetchRaw;
  keyring: KeyringClient;
  /** Passphrases of secret keys to try (the command line's --passphrase-file); the app passes none, its keys are unlocked in the keyring's session. */
  keyPasswords: string[];
}

/** Reads the message and examines it: the report, the HTML it speaks of, the attachments' parts and the key material. */
export async function readMessage(db: DatabaseSync, input: ReadMessageInput): Promise<ExaminedMessage> {
  const raw = await messageRaw(db, input.folder, input.uid, input.fetch);
  const examined = await examineMessage(raw, input.keyring, { keyPasswords: input.keyPasswords });
  await noteSignerKeyChange(examined.report, input.keyring);
  await applyAutocrypt(examined, input.keyring);
  return examined;
}

/** Autocrypt's effective date (Level 1, section 2.3): the Date header, or now when it is missing, unreadable or in the future. */
export function effectiveDate(date: string | null, now = Date.now()): string {
  const t = date === null ? Number.NaN : Date.parse(date);
  return new Date(Number.isFinite(t) && t <= now ? t : now).toISOString();
}

/**
 * The sender's Autocrypt peer state from a message being read. An encrypted
 * message that could not be decrypted changes nothing: its header may be
 * inside, and it must never count as a message without one. The sender's key
 * is imported only when the message's good signature is by that key, gossip only from
 * encrypted and signed content; the keyring's first-use rule then keeps a
 * different key from being used by itself. Reading never fails for it.
 */
export async function applyAutocrypt(examined: ExaminedMessage, keyring: KeyringCalls, now = Date.now()): Promise<void> {
  const r = examined.report;
  const from = r.from?.address;
  if (!from || r.encryption.status === 'no-key' || r.encryption.status === 'failed') return;
  const signer = r.signature.status === 'valid' ? (r.signature.signer?.fingerprint.toUpperCase() ?? null) : null;
  const header = examined.autocrypt.header;
  try {
    // Only a header whose key made the message's good signature is taken in (its update: new subkeys, a new
    // expiry). Any other header key, a first contact's included, waits for the user to see its fingerprint
    // and import it from the reader; the peer state records it meanwhile.
    let signedByHeaderKey = false;
    if (header && signer) {
      const { keys } = await keyring.call('keys.inspect', { data: header.keydata, source: 'autocrypt' });
      signedByHeaderKey = keys.some((k) => k.fingerprint.toUpperCase() === signer);
    }
    const vouched = r.encryption.status === 'decrypted' && signer !== null;
    await keyring.call('autocrypt.seen', {
      address: from,
      date: effectiveDate(r.date, now),
      header: header ? { data: header.keydata, preferEncrypt: header.preferEncrypt, import: signedByHeaderKey } : null,
      gossip: vouched
        ? examined.autocrypt.gossip
            .filter((g) => g.addr.includes('@') && g.addr.length <= 320)
            .slice(0, 100)
            .map((g) => ({ address: g.addr, data: g.keydata }))
        : [],
    });
  } catch {
    // A busy or refusing keyring leaves the peer state as it was; the message is read all the same.
  }
}

/**
 * Trust on first use, on the reading side: a good signature by a key that
 * carries the sender's address but is not the key in use for it (a new key,
 * maybe made by someone else) is said, not passed over as "signed".
 */
export async function noteSignerKeyChange(report: InspectReport, keyring: KeyringCalls): Promise<void> {
  const from = report.from?.address;
  const signer = report.signature.signer?.fingerprint.toUpperCase();
  if (!from || !signer || report.signature.status !== 'valid' || !report.signature.signerMatchesFrom) return;
  const state = await keyring.call('keys.addressState', { address: from });
  const known = state.accepted?.fingerprint;
  if (!known || known === signer) return;
  report.warnings.push({
    code: 'signer-key-changed',
    message: `signed with ${signer}, not with the key in use for ${from} (${known}); check the new key before you trust it`,
  });
}
