import * as openpgp from 'openpgp';
import type { Key, PrivateKey, PublicKey, SignaturePacket } from 'openpgp';
import { SealpostError } from '../app/errors.ts';
import { normalizeAddress, sameAddress } from '../app/address.ts';
import type { AddressState, KeyAcceptance, KeySource, KeySummary, PeerState, Trust } from '../app/keys.ts';
import { summarize, upperFingerprint, emailOfUserId, validUserIds } from './key-info.ts';
import { parseKeyMaterial } from './parse-keys.ts';
import { type KeyStore, type AddressMeta, type EntryMeta, type KeyringFiles } from './store.ts';
import { translateOpenpgpError } from './openpgp-errors.ts';
import { certificateForAddress, minimalCertificate } from './minimal-cert.ts';
import { certifiersOf, revocationReasonOf } from './key-succession.ts';

/** Options every openpgp call uses: v4 keys and SEIPDv1 by default, which every OpenPGP program of the field reads. */
export const OPENPGP_CONFIG: openpgp.Config = {
  ...openpgp.config,
  aeadProtect: false,
  v6Keys: false,
  showVersion: false,
  showComment: false,
};

interface Entry {
  key: PublicKey;
  secret: PrivateKey | null;
  meta: EntryMeta;
}
/** The keys by fingerprint, and per address (its comparison form) the key in use. */
type Model = Map<string, Entry> & { addresses: Record<string, AddressMeta> };

function emptyModel(addresses: Record<string, AddressMeta> = {}): Model {
  return Object.assign(new Map<string, Entry>(), { addresses: { ...addresses } });
}

/** The fingerprint of key data holding exactly one key with a valid user id for the address (an Autocrypt header's key), or null. */
async function singleKeyFingerprint(data: Uint8Array, address: string): Promise<string | null> {
  try {
    const parsed = await parseKeyMaterial(data);
    if (parsed.keys.length !== 1) return null;
    const key = parsed.keys[0]!;
    return (await addressesOf(key)).includes(address) ? upperFingerprint(key) : null;
  } catch {
    return null;
  }
}

/** The addresses of a key's valid user ids, in their comparison form. */
async function addressesOf(key: Key): Promise<string[]> {
  const emails = (await validUserIds(key)).map(emailOfUserId).filter((e): e is string => e !== null);
  return [...new Set(emails.map(normalizeAddress))];
}

export interface ImportOutcome {
  changed: KeySummary[];
  problems: Array<{ code: string; message: string }>;
}

export interface GenerateOptions {
  name: string;
  email: string;
  algo: 'curve25519' | 'rsa4096';
  expiresInSeconds: number | null;
  passphrase: string | null;
}

const DEFAULT_EXPIRY_SECONDS = 3 * 365 * 24 * 3600;

async function readArmoredBlocks(text: string): Promise<Key[]> {
  const keys: Key[] = [];
  for (const m of text.matchAll(
    /-----BEGIN PGP (?:PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP (?:PUBLIC|PRIVATE) KEY BLOCK-----/g,
  )) {
    keys.push(await openpgp.readKey({ armoredKey: m[0] }));
  }
  return keys;
}

function normalizeQuery(query: string): string {
  const q = query.trim();
  const hex = q.replace(/^0x/i, '').replace(/\s+/g, '');
  return /^[0-9a-fA-F]{16}$|^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$/.test(hex) ? hex.toUpperCase() : q;
}

/**
 * The keyring: certificates, protected secret keys and their metadata in a
 * `KeyStore`. Stateless when constructed without a store (the Stateless
 * OpenPGP command line passes keys as files).
 */
export class Keyring {
  readonly store: KeyStore | null;
  constructor(store: KeyStore | null) {
    this.store = store;
  }

  private requireStore(): KeyStore {
    if (!this.store) throw new SealpostError('usage', 'this operation needs a profile directory');
    return this.store;
  }

  private async decode(files: KeyringFiles): Promise<Model> {
    const model = emptyModel(files.addresses);
    try {
      for (const key of await readArmoredBlocks(files.pubring)) {
        const fpr = upperFingerprint(key);
        model.set(fpr, {
          key: key,
          secret: null,
          meta: files.meta[fpr] ?? { trust: 'unverified', sources: ['file'], added: new Date(0).toISOString() },
        });
      }
      for (const key of await readArmoredBlocks(files.secring)) {
        const entry = model.get(upperFingerprint(key));
        if (!entry || !key.isPrivate()) throw new Error(`secret key ${upperFingerprint(key)} has no certificate`);
        entry.secret = key;
      }
    } catch (e) {
      throw new SealpostError('keyring-corrupt', (e as Error).message);
    }
    return model;
  }

  private encode(model: Model): Omit<KeyringFiles, 'generation'> {
    const pub: string[] = [];
    const sec: string[] = [];
    const meta: Record<string, EntryMeta> = {};
    for (const [fpr, entry] of [...model.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      pub.push(entry.key.armor(OPENPGP_CONFIG));
      if (entry.secret) sec.push(entry.secret.armor(OPENPGP_CONFIG));
      meta[fpr] = entry.meta;
    }
    // An acceptance of a key no longer in the keyring says nothing any more; the Autocrypt state stays.
    const addresses: Record<string, AddressMeta> = {};
    for (const [address, meta] of Object.entries(model.addresses)) {
      const accepted = meta.accepted && model.has(meta.accepted.fingerprint) ? meta.accepted : null;
      if (accepted || meta.autocrypt) addresses[address] = { accepted, ...(meta.autocrypt ? { autocrypt: meta.autocrypt } : {}) };
    }
    return { pubring: pub.join(''), secring: sec.join(''), meta, addresses };
  }

  private cache: { generation: string; model: Model } | null = null;

  /**
   * The current keys. Another process may have changed them: the live
   * generation's name is read every time, and the parsed keys are reused
   * only while it is the same. Callers must not change what they get.
   */
  private async load(): Promise<Model> {
    if (!this.store) return emptyModel();
    const generation = await this.store.currentGeneration();
    if (this.cache && generation !== '' && this.cache.generation === generation) return this.cache.model;
    const files = await this.store.read();
    const model = await this.decode(files);
    this.cache = { generation: files.generation, model };
    return model;
  }

  private async change<T>(fn: (model: Model) => Promise<{ changed: boolean; value: T }>): Promise<T> {
    const store = this.requireStore();
    return store.update(async (files) => {
      const model = await this.decode(files);
      const { changed, value } = await fn(model);
      return { files: changed ? this.encode(model) : null, value };
    });
  }

  private find(model: Model, query: string): Entry {
    const matches = this.match(model, query);
    if (matches.length === 0) throw new SealpostError('key-not-found', query, { query: query.slice(0, 1000) });
    if (matches.length > 1) {
      const fingerprints = matches.map((e) => upperFingerprint(e.key));
      throw new SealpostError('key-ambiguous', `${query} matches ${fingerprints.join(', ')}`, {
        query: query.slice(0, 1000),
        fingerprints: fingerprints.slice(0, 100),
      });
    }
    return matches[0]!;
  }

  private match(model: Model, query: string): Entry[] {
    const q = normalizeQuery(query);
    const exact = model.get(q);
    if (exact) return [exact];
    const out: Entry[] = [];
    for (const entry of model.values()) {
      if (/^[0-9A-F]{16}$/.test(q)) {
        if (entry.key.getKeys().some((k) => k.getKeyID().toHex().toUpperCase() === q)) out.push(entry);
      } else if (q.includes('@')) {
        const wanted = emailOfUserId(q);
        if (
          wanted !== null &&
          entry.key.getUserIDs().some((u) => {
            const e = emailOfUserId(u);
            return e !== null && sameAddress(e, wanted);
          })
        )
          out.push(entry);
      }
    }
    return out;
  }

  private summary(entry: Entry, withSubkeys = false): Promise<KeySummary> {
    return summarize(entry.secret ?? entry.key, entry.meta, withSubkeys);
  }

  async list(secretOnly = false): Promise<KeySummary[]> {
    const model = await this.load();
    const entries = [...model.values()].filter((e) => !secretOnly || e.secret);
    return Promise.all(entries.map((e) => this.summary(e)));
  }

  async show(query: string): Promise<KeySummary> {
    return this.summary(this.find(await this.load(), query), true);
  }

  /** Public keys for a query: all keys whose user id carries the address, or the one with that fingerprint. */
  async publicKeysFor(query: string): Promise<PublicKey[]> {
    const model = await this.load();
    const found = this.match(model, query);
    if (found.length === 0) throw new SealpostError('key-not-found', query, { query: query.slice(0, 1000) });
    return found.map((e) => e.key);
  }

  async allPublicKeys(): Promise<PublicKey[]> {
    return [...(await this.load()).values()].map((e) => e.key);
  }

  async secretKeyFor(query: string): Promise<PrivateKey> {
    const entry = this.find(await this.load(), query);
    if (!entry.secret) throw new SealpostError('key-no-secret', upperFingerprint(entry.key), { fingerprint: upperFingerprint(entry.key) });
    return entry.secret;
  }

  async allSecretKeys(): Promise<PrivateKey[]> {
    return [...(await this.load()).values()].flatMap((e) => (e.secret ? [e.secret] : []));
  }

  /** Summaries of the keys in some key material; nothing is stored. */
  async inspect(bytes: Uint8Array, source: KeySource): Promise<{ keys: KeySummary[]; problems: ImportOutcome['problems'] }> {
    const parsed = await parseKeyMaterial(bytes);
    const known = await this.load();
    const keys = await Promise.all(
      parsed.keys.map((key) => summarize(key, known.get(upperFingerprint(key))?.meta ?? { trust: 'unverified', sources: [source] })),
    );
    if (keys.length === 0 && parsed.problems.length > 0) throw parsed.problems[0]!;
    return { keys, problems: parsed.problems.map((p) => ({ code: p.code, message: p.message })) };
  }

  /**
   * Stores the keys in `bytes`. With `own`, each secret key among them becomes the user's own as a generated
   * key is (`generate`): verified, and the key in use for each of its addresses.
   */
  async import(bytes: Uint8Array, source: KeySource, opts: { own?: boolean } = {}): Promise<ImportOutcome> {
    const parsed = await parseKeyMaterial(bytes);
    const problems: SealpostError[] = [...parsed.problems];
    if (parsed.keys.length === 0 && parsed.revocations.length === 0) {
      const first = parsed.problems[0] ?? new SealpostError('key-unparseable', 'no key found');
      throw first;
    }
    return this.change(async (model) => {
      const changedFprs = new Set<string>();
      const now = new Date().toISOString();
      let seenAgain = false;
      for (const key of parsed.keys) {
        const fpr = upperFingerprint(key);
        const entry = model.get(fpr);
        const publicPart = key.isPrivate() ? key.toPublic() : key;
        if (!entry) {
          // Trust on first use: before the new key joins, each of its addresses that has no key in use
          // gets one, the key that was there first, or this one. A later key never takes over by itself.
          const addresses = await addressesOf(publicPart);
          for (const address of addresses) await this.settleAddress(model, address);
          model.set(fpr, {
            key: publicPart,
            secret: key.isPrivate() ? key : null,
            meta: { trust: 'unverified', sources: [source], added: now },
          });
          for (const address of addresses) {
            model.addresses[address] ??= { accepted: null };
            model.addresses[address].accepted ??= { fingerprint: fpr, at: now, how: 'first-seen' };
          }
          changedFprs.add(fpr);
          continue;
        }
        entry.meta = { ...entry.meta, lastSeen: now };
        seenAgain = true;
        const before = entry.key.armor() + (entry.secret?.armor() ?? '');
        try {
          entry.key = await entry.key.update(publicPart, undefined, OPENPGP_CONFIG);
          if (key.isPrivate()) {
            entry.secret = await secretOnly(entry.secret ? await entry.secret.update(key) : await key.update(entry.key));
          } else if (entry.secret) {
            entry.secret = await secretOnly(await entry.secret.update(publicPart));
          }
        } catch (e) {
          problems.push(new SealpostError('key-unparseable', `cannot merge key ${fpr}: ${translateOpenpgpError(e).detail}`));
          continue;
        }
        if (!entry.meta.sources.includes(source)) entry.meta.sources = [...entry.meta.sources, source];
        if (before !== entry.key.armor() + (entry.secret?.armor() ?? '')) changedFprs.add(fpr);
      }
      if (opts.own) {
        for (const key of parsed.keys) {
          const fpr = upperFingerprint(key);
          if (key.isPrivate() && (await this.makeOwn(model, fpr, now))) changedFprs.add(fpr);
        }
      }
      for (const signature of parsed.revocations) {
        const target = await this.applyRevocation(model, signature);
        if (target) changedFprs.add(target);
        else
          problems.push(
            new SealpostError('key-not-revocation', 'a revocation certificate names no key in the keyring, or does not verify'),
          );
      }
      const changed = await Promise.all([...changedFprs].map((f) => this.summary(model.get(f)!)));
      if (changed.length === 0 && problems.length > 0 && parsed.keys.length === 0) throw problems[0]!;
      return {
        changed: changedFprs.size > 0 || seenAgain,
        value: { changed, problems: problems.map((p) => ({ code: p.code, message: p.message })) },
      };
    });
  }

  /** The entry's key as the user's own, as `generate` leaves a new one; whether anything changed. */
  private async makeOwn(model: Model, fpr: string, at: string): Promise<boolean> {
    const entry = model.get(fpr)!;
    let changed = false;
    if (entry.meta.trust !== 'verified') {
      const meta: EntryMeta = { ...entry.meta, trust: 'verified' };
      delete meta.verification;
      entry.meta = meta;
      changed = true;
    }
    for (const address of await addressesOf(entry.key)) {
      if (model.addresses[address]?.accepted?.fingerprint === fpr) continue;
      model.addresses[address] = { ...model.addresses[address], accepted: { fingerprint: fpr, at, how: 'accepted' } };
      changed = true;
    }
    return changed;
  }

  /**
   * An address without a key in use gets the one that carried it first
   * (verified keys before others), so that a key added now is compared with
   * it: keyrings from before addresses were kept start their record here.
   */
  private async settleAddress(model: Model, address: string): Promise<void> {
    if (model.addresses[address]?.accepted) return;
    const carrying = await this.carrying(model, address);
    if (carrying.length === 0) return;
    const first = [...carrying].sort(
      (a, b) =>
        Number(b.meta.trust === 'verified') - Number(a.meta.trust === 'verified') || Date.parse(a.meta.added) - Date.parse(b.meta.added),
    )[0]!;
    model.addresses[address] = { accepted: { fingerprint: upperFingerprint(first.key), at: first.meta.added, how: 'first-seen' } };
  }

  /**
   * The keys with a valid user id for the address: `match` finds the keys
   * whose user ids name it (no signature checked), and only those have their
   * user ids verified, so a lookup does not verify the whole keyring.
   */
  private async carrying(model: Model, address: string): Promise<Entry[]> {
    const out: Entry[] = [];
    for (const entry of this.match(model, address)) if ((await addressesOf(entry.key)).includes(address)) out.push(entry);
    return out;
  }

  /** What the keyring knows of an address's keys: the one accepted, and every key carrying it (`keys history`, the recipient choice). */
  async addressState(address: string): Promise<AddressState> {
    const model = await this.load();
    const wanted = normalizeAddress(address);
    const keys: AddressState['keys'] = [];
    const carrying = await this.carrying(model, wanted);
    for (const entry of carrying) {
      const summary = await this.summary(entry);
      keys.push({
        ...summary,
        firstSeen: entry.meta.added,
        lastSeen: entry.meta.lastSeen ?? entry.meta.added,
        certifiedBy: await certifiersOf(
          entry.key,
          wanted,
          carrying.map((c) => c.key),
        ),
        revocationReason: summary.revoked ? await revocationReasonOf(entry.key) : null,
      });
    }
    keys.sort((a, b) => Date.parse(a.firstSeen) - Date.parse(b.firstSeen) || a.fingerprint.localeCompare(b.fingerprint));
    const accepted = model.addresses[wanted]?.accepted ?? null;
    return {
      address: wanted,
      accepted: accepted && model.has(accepted.fingerprint) ? accepted : null,
      keys,
      autocrypt: model.addresses[wanted]?.autocrypt ?? null,
    };
  }

  /** After a key change (or to choose among several keys): the key to use for the address from now on. */
  async accept(address: string, fingerprint: string, how: KeyAcceptance['how'] = 'accepted'): Promise<AddressState> {
    const wanted = normalizeAddress(address);
    await this.change(async (model) => {
      const entry = this.find(model, fingerprint);
      if (!(await addressesOf(entry.key)).includes(wanted))
        throw new SealpostError('bad-input', `key ${upperFingerprint(entry.key)} has no valid user id with ${address}`);
      model.addresses[wanted] = { accepted: { fingerprint: upperFingerprint(entry.key), at: new Date().toISOString(), how } };
      return { changed: true, value: undefined };
    });
    return this.addressState(wanted);
  }

  /**
   * What one message said of its sender, by Autocrypt Level 1's update rules
   * (section 2.3): a message older than the last Autocrypt header changes
   * nothing; last seen moves on; a header sets the key, its time and
   * prefer-encrypt. Gossip (section 2.7) sets the gossip key of other
   * addresses when it is newer. Keys are imported (through the same first-use
   * rule as every import, so a different key is a key change, never used by
   * itself) only when the caller says the message vouches for them: the
   * sender's key when the message is signed by it, gossip when it came inside
   * encrypted and signed content. The user's own addresses are left alone.
   */
  async autocryptSeen(input: {
    address: string;
    date: string;
    header: { data: Uint8Array; preferEncrypt: 'mutual' | 'nopreference'; import: boolean } | null;
    gossip: { address: string; data: Uint8Array }[];
  }): Promise<{ peer: PeerState | null; imported: string[] }> {
    const imports: { data: Uint8Array; source: KeySource }[] = [];
    const sender = normalizeAddress(input.address);
    const date = input.date;
    const peer = await this.change(async (model) => {
      const isOwn = async (address: string) => (await this.carrying(model, address)).some((e) => e.secret !== null);
      const before = JSON.stringify(model.addresses);
      const stateOf = (address: string): PeerState => {
        model.addresses[address] ??= { accepted: null };
        return (model.addresses[address].autocrypt ??= {
          lastSeen: null,
          autocryptTimestamp: null,
          fingerprint: null,
          preferEncrypt: 'nopreference',
          gossipTimestamp: null,
          gossipFingerprint: null,
        });
      };
      const newer = (a: string, b: string | null) => b === null || Date.parse(a) > Date.parse(b);
      if (!(await isOwn(sender))) {
        const state = stateOf(sender);
        if (state.autocryptTimestamp === null || !(Date.parse(date) < Date.parse(state.autocryptTimestamp))) {
          if (newer(date, state.lastSeen)) state.lastSeen = date;
          if (input.header) {
            const fpr = await singleKeyFingerprint(input.header.data, sender);
            if (fpr) {
              state.autocryptTimestamp = date;
              state.fingerprint = fpr;
              state.preferEncrypt = input.header.preferEncrypt;
              if (input.header.import) imports.push({ data: input.header.data, source: 'autocrypt' });
            }
          }
        }
      }
      for (const g of input.gossip) {
        const address = normalizeAddress(g.address);
        if (address === sender || (await isOwn(address))) continue;
        const fpr = await singleKeyFingerprint(g.data, address);
        if (!fpr) continue;
        const state = stateOf(address);
        if (newer(date, state.gossipTimestamp)) {
          state.gossipTimestamp = date;
          state.gossipFingerprint = fpr;
          imports.push({ data: g.data, source: 'gossip' });
        }
      }
      // Reading the same message again changes nothing: then nothing is written.
      return { changed: JSON.stringify(model.addresses) !== before, value: model.addresses[sender]?.autocrypt ?? null };
    });
    const imported: string[] = [];
    for (const i of imports) {
      try {
        const outcome = await this.import(i.data, i.source);
        imported.push(...outcome.changed.map((k) => k.fingerprint));
      } catch {
        // Key data that does not import is only not imported: the peer state still says what was seen.
      }
    }
    return { peer, imported };
  }

  private async applyRevocation(model: Model, signature: SignaturePacket): Promise<string | null> {
    if (signature.signatureType !== openpgp.enums.signature.keyRevocation) return null;
    const list = new openpgp.PacketList();
    list.push(signature);
    const armored = openpgp.armor(openpgp.enums.armor.publicKey, list.write());
    for (const [fpr, entry] of model) {
      if (!signature.issuerKeyID.equals(entry.key.getKeyID())) continue;
      try {
        const { publicKey } = await openpgp.revokeKey({ key: entry.key, revocationCertificate: armored, format: 'object' });
        entry.key = publicKey;
        if (entry.secret) entry.secret = await secretOnly(await entry.secret.update(publicKey));
        return fpr;
      } catch {
        return null;
      }
    }
    return null;
  }

  /** The revocation certificate made with the key at generation (armored), or null when the keyring has none for it. */
  async revocationCertificate(query: string): Promise<string | null> {
    return this.find(await this.load(), query).meta.revocationCertificate ?? null;
  }

  /** `onlyUserIdsOf`: the public key with only the user ids of that address (minimal-cert.ts), for a Web Key Directory file. */
  async export(query: string, opts: { secret: boolean; minimal: boolean; onlyUserIdsOf?: string | undefined }): Promise<string> {
    const entry = this.find(await this.load(), query);
    const fpr = upperFingerprint(entry.key);
    if (opts.secret) {
      if (opts.onlyUserIdsOf !== undefined) throw new SealpostError('bad-input', 'a secret key is exported whole, with all its user ids');
      if (!entry.secret) throw new SealpostError('key-no-secret', fpr, { fingerprint: fpr });
      return entry.secret.armor(OPENPGP_CONFIG);
    }
    let key = entry.key;
    if (opts.onlyUserIdsOf !== undefined) {
      const filtered = certificateForAddress(key, opts.onlyUserIdsOf);
      if (!filtered) throw new SealpostError('bad-input', `key ${fpr} has no user id with the address ${opts.onlyUserIdsOf}`);
      key = filtered;
    }
    if (opts.minimal) key = await minimalCertificate(key);
    return key.armor(OPENPGP_CONFIG);
  }

  async delete(fingerprint: string, secret: boolean): Promise<void> {
    await this.change(async (model) => {
      const entry = this.find(model, fingerprint);
      const fpr = upperFingerprint(entry.key);
      if (entry.secret && !secret) throw new SealpostError('key-secret-exists', fpr, { fingerprint: fpr });
      model.delete(fpr);
      return { changed: true, value: undefined };
    });
  }

  async refreshTimes(): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const [fpr, entry] of await this.load()) if (entry.meta.refreshedAt) out[fpr] = entry.meta.refreshedAt;
    return out;
  }

  /** Meta only: the keys named (by fingerprint) were refreshed at `at`; unknown fingerprints are passed over (a key deleted meanwhile). */
  async markRefreshed(fingerprints: readonly string[], at: string): Promise<void> {
    await this.change(async (model) => {
      let changed = false;
      for (const fpr of fingerprints) {
        const entry = model.get(fpr.toUpperCase());
        if (!entry) continue;
        entry.meta = { ...entry.meta, refreshedAt: at };
        changed = true;
      }
      return { changed, value: undefined };
    });
  }

  async setTrust(fingerprint: string, trust: Trust, how: 'fingerprint' | 'command-line' = 'command-line'): Promise<KeySummary> {
    return this.change(async (model) => {
      const entry = this.find(model, fingerprint);
      // A verification is recorded with when and how; any other trust level drops it.
      const meta: EntryMeta = { ...entry.meta, trust };
      delete meta.verification;
      if (trust === 'verified') meta.verification = { at: new Date().toISOString(), how };
      entry.meta = meta;
      // Verifying a key is choosing it for its addresses.
      if (trust === 'verified') {
        const fpr = upperFingerprint(entry.key);
        const at = new Date().toISOString();
        for (const address of await addressesOf(entry.key))
          model.addresses[address] = { accepted: { fingerprint: fpr, at, how: 'verified' } };
      }
      return { changed: true, value: await this.summary(entry) };
    });
  }

  /** A new key pair (RFC 9580 v4 packets, Ed25519 + X25519 legacy encodings that GnuPG 2.2 reads) with its revocation certificate kept. */
  async generate(opts: GenerateOptions): Promise<KeySummary> {
    const { privateKey, revocationCertificate } = await generateKeyPair(opts);
    return this.change(async (model) => {
      const fpr = upperFingerprint(privateKey);
      const added = new Date().toISOString();
      model.set(fpr, {
        key: privateKey.toPublic(),
        secret: privateKey,
        meta: { trust: 'verified', sources: ['generated'], added, revocationCertificate },
      });
      // A key the user made is the one for its address.
      for (const address of await addressesOf(privateKey))
        model.addresses[address] = { accepted: { fingerprint: fpr, at: added, how: 'accepted' } };
      return { changed: true, value: await this.summary(model.get(fpr)!) };
    });
  }

  /** The secret key, unlocked with `passphrase` (or as it is when not protected). The result is never stored. */
  static async unlock(secret: PrivateKey, passphrase: string | null): Promise<PrivateKey> {
    if (secret.isDecrypted()) return secret;
    const fingerprint = upperFingerprint(secret);
    if (passphrase === null) throw new SealpostError('key-passphrase-required', fingerprint, { fingerprints: [fingerprint] });
    try {
      return await openpgp.decryptKey({ privateKey: secret, passphrase });
    } catch (e) {
      const err = translateOpenpgpError(e, 'key-wrong-passphrase');
      if (err.is('key-wrong-passphrase')) throw new SealpostError('key-wrong-passphrase', `for key ${fingerprint}`, { fingerprint });
      throw new SealpostError(err.code, `for key ${fingerprint}`, err.details);
    }
  }

  async revoke(fingerprint: string, opts: { reason: string | null; passphrase: string | null }): Promise<KeySummary> {
    return this.change(async (model) => {
      const entry = this.find(model, fingerprint);
      if (opts.passphrase === null && opts.reason === null && entry.meta.revocationCertificate) {
        const { publicKey } = await openpgp.revokeKey({
          key: entry.key,
          revocationCertificate: entry.meta.revocationCertificate,
          format: 'object',
        });
        entry.key = publicKey;
      } else {
        if (!entry.secret)
          throw new SealpostError('key-no-secret', upperFingerprint(entry.key), { fingerprint: upperFingerprint(entry.key) });
        const unlocked = await Keyring.unlock(entry.secret, opts.passphrase);
        const { publicKey } = await openpgp.revokeKey({
          key: unlocked,
          reasonForRevocation: { flag: openpgp.enums.reasonForRevocation.noReason, string: opts.reason ?? '' },
          format: 'object',
          config: OPENPGP_CONFIG,
        });
        entry.key = await entry.key.update(publicKey);
      }
      if (entry.secret) entry.secret = await secretOnly(await entry.secret.update(entry.key));
      return { changed: true, value: await this.summary(entry) };
    });
  }

  /**
   * New self-signatures (same key material) replace the old ones: used to
   * change the expiry of the key and its subkeys and to add a user id. The
   * new signatures are merged into the stored key, so third-party
   * certifications and the stored protection of the secret key stay as they were.
   */
  private async resign(entry: Entry, passphrase: string | null, userIds: string[], expiresInSeconds: number | null): Promise<void> {
    if (!entry.secret) throw new SealpostError('key-no-secret', upperFingerprint(entry.key), { fingerprint: upperFingerprint(entry.key) });
    const unlocked = await Keyring.unlock(entry.secret, passphrase);
    const parsed = userIds.map(parseUserId);
    await afterNewestSelfSignature(entry.key);
    const { publicKey } = await openpgp.reformatKey({
      privateKey: unlocked,
      userIDs: parsed,
      keyExpirationTime: expiresInSeconds ?? 0,
      format: 'object',
      config: OPENPGP_CONFIG,
    });
    entry.key = await entry.key.update(publicKey);
    entry.secret = await secretOnly(await entry.secret.update(entry.key));
  }

  async setExpiry(fingerprint: string, expiresInSeconds: number | null, passphrase: string | null): Promise<KeySummary> {
    return this.change(async (model) => {
      const entry = this.find(model, fingerprint);
      const seconds =
        expiresInSeconds === null ? null : Math.round((Date.now() - entry.key.getCreationTime().getTime()) / 1000) + expiresInSeconds;
      await this.resign(entry, passphrase, await validUserIds(entry.key), seconds);
      return { changed: true, value: await this.summary(entry) };
    });
  }

  async addUserId(fingerprint: string, userId: string, passphrase: string | null): Promise<KeySummary> {
    return this.change(async (model) => {
      const entry = this.find(model, fingerprint);
      const current = await validUserIds(entry.key);
      if (current.includes(userId)) return { changed: false, value: await this.summary(entry) };
      const expires = await entry.key.getExpirationTime().catch(() => null);
      const seconds = expires instanceof Date ? Math.round((expires.getTime() - entry.key.getCreationTime().getTime()) / 1000) : null;
      await this.resign(entry, passphrase, [...current, userId], seconds);
      return { changed: true, value: await this.summary(entry) };
    });
  }

  async changePassphrase(fingerprint: string, oldPassphrase: string | null, newPassphrase: string | null): Promise<KeySummary> {
    return this.change(async (model) => {
      const entry = this.find(model, fingerprint);
      if (!entry.secret)
        throw new SealpostError('key-no-secret', upperFingerprint(entry.key), { fingerprint: upperFingerprint(entry.key) });
      const unlocked = await Keyring.unlock(entry.secret, oldPassphrase);
      entry.secret =
        newPassphrase === null
          ? unlocked
          : await openpgp.encryptKey({ privateKey: unlocked, passphrase: newPassphrase, config: OPENPGP_CONFIG });
      return { changed: true, value: await this.summary(entry) };
    });
  }
}

/**
 * openpgp.js merges a certificate's extra subkeys into a secret key as
 * public subkey packets, which no reader accepts in a secret key (RFC 9580,
 * section 10.2). The certificate keeps every subkey; the secret key keeps
 * only those whose secret it holds.
 */
async function secretOnly(key: PrivateKey): Promise<PrivateKey> {
  const packets = key.toPacketList();
  const kept = new openpgp.PacketList<openpgp.AnyPacket>();
  let skipping = false;
  for (const packet of packets) {
    if (packet instanceof openpgp.PublicSubkeyPacket && !(packet instanceof openpgp.SecretSubkeyPacket)) skipping = true;
    else if (packet instanceof openpgp.SecretSubkeyPacket) skipping = false;
    if (!skipping) kept.push(packet);
  }
  return openpgp.readPrivateKey({ binaryKey: kept.write() });
}

/**
 * Signature times have one-second resolution; the newest self-signature
 * wins (RFC 9580, section 5.2.3.3). A second change within the same second
 * would tie with the first, so wait for the next second.
 */
async function afterNewestSelfSignature(key: PublicKey): Promise<void> {
  const created = [...key.users.flatMap((u) => u.selfCertifications), ...key.subkeys.flatMap((s) => s.bindingSignatures)].map(
    (sig) => sig.created?.getTime() ?? 0,
  );
  const newestSecond = Math.floor(Math.max(0, ...created) / 1000);
  while (Math.floor(Date.now() / 1000) <= newestSecond) await new Promise((r) => setTimeout(r, 50));
}

export function parseUserId(userId: string): openpgp.UserID {
  const m = /^\s*(.*?)\s*<([^<>]+)>\s*$/.exec(userId);
  if (m) return { name: m[1] ?? '', email: m[2] ?? '' };
  if (userId.includes('@')) return { email: userId.trim() };
  return { name: userId };
}

export async function generateKeyPair(
  opts: GenerateOptions | { userIds: string[]; algo: 'curve25519' | 'rsa4096'; expiresInSeconds: number | null; passphrase: string | null },
) {
  // Stateless OpenPGP user ids are taken verbatim: openpgp.js writes a lone `name` as the whole user id.
  const userIDs = 'userIds' in opts ? opts.userIds.map((u) => ({ name: u })) : [{ name: opts.name, email: opts.email }];
  const expiry = opts.expiresInSeconds === undefined ? DEFAULT_EXPIRY_SECONDS : (opts.expiresInSeconds ?? 0);
  const base = {
    userIDs,
    keyExpirationTime: expiry,
    format: 'object' as const,
    config: OPENPGP_CONFIG,
    ...(opts.passphrase ? { passphrase: opts.passphrase } : {}),
  };
  try {
    return opts.algo === 'rsa4096'
      ? await openpgp.generateKey({ ...base, type: 'rsa', rsaBits: 4096 })
      : await openpgp.generateKey({ ...base, type: 'ecc', curve: 'curve25519Legacy' });
  } catch (e) {
    throw translateOpenpgpError(e, 'bad-input');
  }
}
