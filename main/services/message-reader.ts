/**
 * Reading messages for the app's reader, with the message that is open
 * kept examined: saving one of its attachments or importing a key it
 * carries works from the same reading, so an encrypted message is not
 * decrypted again for each (nor the keyring asked for its key again).
 *
 * Opening a message (`read`) always examines it afresh: a key unlocked since
 * the last reading is used. One message is kept, the last one read; `close`
 * forgets it.
 */
import type { DatabaseSync } from 'node:sqlite';
import { SealpostError, type ErrorCode } from '../../app/errors.ts';
import type { KeySummary } from '../../app/keys.ts';
import type { KeyringClient } from '../../app/node/keyring-client.ts';
import type { ExaminedMessage } from '../pgp-mime/read/inspect.ts';
import { decodeBody } from '../pgp-mime/read/mime-parse.ts';
import { getFolder, type FolderRow } from '../store/folders.ts';
import { readMessage, type FetchRaw } from '../usecases/read-message.ts';

/** A message's attachment, decoded (decrypted when the message was). */
export interface MessageAttachment {
  filename: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface MessageReaderOptions {
  db: DatabaseSync;
  keyring: KeyringClient;
  fetch: FetchRaw;
}

export class MessageReader {
  readonly #db: DatabaseSync;
  readonly #keyring: KeyringClient;
  readonly #fetch: FetchRaw;
  /** The open message: which one, and its reading (a promise, so that two asks at once read it once). */
  #open: { folderId: number; uid: string; examined: Promise<ExaminedMessage> } | null = null;

  constructor(options: MessageReaderOptions) {
    this.#db = options.db;
    this.#keyring = options.keyring;
    this.#fetch = options.fetch;
  }

  /** Examines the message afresh and keeps it as the open one. */
  read(folderId: number, uid: string): Promise<ExaminedMessage> {
    const folder = this.#folder(folderId);
    const examined = readMessage(this.#db, { folder, uid, fetch: this.#fetch, keyring: this.#keyring, keyPasswords: [] });
    const open = { folderId, uid, examined };
    this.#open = open;
    // A reading that failed is not kept: the next ask tries again.
    examined.catch(() => {
      if (this.#open === open) this.#open = null;
    });
    return examined;
  }

  /** The open message's reading when it is this one, else a new reading. */
  examined(folderId: number, uid: string): Promise<ExaminedMessage> {
    const open = this.#open;
    if (open && open.folderId === folderId && open.uid === uid) return open.examined;
    return this.read(folderId, uid);
  }

  /** Forgets the open message (its decrypted parts go with it). */
  close(): void {
    this.#open = null;
  }

  /** The `index`-th attachment of the report (`report.attachments` order), its bytes decoded and, when protected, decrypted. */
  async attachment(folderId: number, uid: string, index: number): Promise<MessageAttachment> {
    const { report, attachmentParts } = await this.examined(folderId, uid);
    const entry = report.attachments[index];
    const part = attachmentParts[index];
    if (!entry || !part)
      throw new SealpostError('bad-input', `the message has no attachment ${index} (it has ${report.attachments.length})`);
    return { filename: entry.filename, contentType: entry.contentType, bytes: new Uint8Array(decodeBody(part)) };
  }

  /**
   * Imports keys the message carries, only those its report lists with the
   * given fingerprints: attached keys as `attachment`, the sender's Autocrypt
   * header and Autocrypt-Gossip as `autocrypt`. A fingerprint the report
   * does not list is refused before anything is imported. The keyring
   * imports key material whole, and this process does not take OpenPGP data
   * apart: material that also holds keys not asked for is not imported, and
   * that is reported as a problem (as for keys found by a lookup).
   */
  async importKeys(
    folderId: number,
    uid: string,
    fingerprints: readonly string[],
  ): Promise<{ changed: KeySummary[]; problems: { code: ErrorCode; message: string }[] }> {
    const { report, keyMaterial } = await this.examined(folderId, uid);
    const wanted = [...new Set(fingerprints.map((f) => f.toUpperCase()))];
    const listed = new Set(report.keys.map((k) => k.fingerprint.toUpperCase()));
    const unlisted = wanted.filter((f) => !listed.has(f));
    if (unlisted.length > 0) throw new SealpostError('bad-input', `the message does not carry the key ${unlisted.join(', ')}`);
    const asked = new Set(wanted);
    const chosen = new Set<(typeof keyMaterial)[number]>();
    const problems: { code: ErrorCode; message: string }[] = [];
    for (const fingerprint of wanted) {
      const holding = keyMaterial.filter((m) => m.fingerprints.some((f) => f.toUpperCase() === fingerprint));
      const whole = holding.find((m) => m.fingerprints.every((f) => asked.has(f.toUpperCase())));
      if (whole) chosen.add(whole);
      else
        problems.push({
          code: 'bad-input',
          message: `${fingerprint}: not imported, the key data in the message also holds keys that were not asked for`,
        });
    }
    const changed = new Map<string, KeySummary>();
    for (const material of chosen) {
      const outcome = await this.#keyring.call('keys.import', { data: material.data, source: material.source });
      for (const key of outcome.changed) changed.set(key.fingerprint, key);
      problems.push(...outcome.problems);
    }
    return { changed: [...changed.values()], problems };
  }

  #folder(folderId: number): FolderRow {
    const folder = getFolder(this.#db, folderId);
    if (!folder) throw new SealpostError('bad-input', `no folder ${folderId}`);
    return folder;
  }
}
