import type { KeyringCalls } from '../../app/node/keyring-client.ts';
import { SealpostError } from '../../app/errors.ts';
import type { EventName, EventPayload, ProcedureName, ProcedureOutput, ProcedureParams } from '../../app/ipc/contract.ts';
import type { KeySummary } from '../../app/keys.ts';
import { DEFAULT_SETTINGS } from '../../app/mail.ts';
import { DEFAULT_TIMEOUT_MS } from '../discovery/http.ts';
import { allNetworkUnreachable, disagreement, importFound, lookupKeys, type LookupOptions } from '../discovery/lookup.ts';
import { refreshKeys } from '../usecases/refresh-keys.ts';
import type { MailService } from '../services/mail-service.ts';
import type { MessageFrames } from '../services/message-frames.ts';
import { recipientKeyStates } from '../services/recipient-keys.ts';
import { saveName } from '../services/save-name.ts';
import { guessServers } from '../services/server-guess.ts';
import { createSetupMessage, importSetupMessage } from '../usecases/setup-message.ts';
import type { SettingsStore } from '../services/settings-store.ts';

/** Per request, when the composer looks up a recipient as they are added (a WKD lookup may make two): the user is waiting. */
const ON_ADD_TIMEOUT_MS = 4_000;
/** Saving a file where the user picks: Electron shows a save dialog; the test host writes into a folder. */
export interface SaveDialogs {
  /** `defaultName` is what the dialog offers; false when the user cancelled. */
  saveFile(defaultName: string, bytes: Uint8Array): Promise<boolean>;
}

/** An error text from elsewhere, cut to what the contract carries. */
const short = (text: string): string => text.slice(0, 1024);

/** What the handlers need from the rest of the main process. */
export interface Services {
  /** The keyring, through its client only. Read on every call, so a supervisor may replace it. */
  readonly keyring: KeyringCalls;
  /** Tell every window (or bridge) that something changed; optional for the command line. A failure here never fails the call. */
  emit?<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** Accounts, mail and the outbox; absent where no mail store is open. */
  readonly mail?: MailService;
  /** The reader's HTML frames, served from the page's origin (main/services/message-frames.ts). */
  readonly frames?: Pick<MessageFrames, 'put'>;
  /** Save dialogs (attachments, key backups); absent on the command line. */
  readonly dialogs?: SaveDialogs;
  /** The profile's settings; without it `settings.get` gives the defaults and `settings.set` fails. */
  readonly settings?: Pick<SettingsStore, 'get' | 'set'>;
  /** How `keys.lookup` and `keys.refresh` reach the network (a test's transport, other keyservers); default: the real ones. */
  readonly lookup?: Omit<LookupOptions, 'keyring'>;
}

export type Handler<P extends ProcedureName> = (params: ProcedureParams<P>) => Promise<ProcedureOutput<P>>;
export type Handlers = { [P in ProcedureName]: Handler<P> };

/**
 * One handler per procedure of app/ipc/contract.ts. Input arrives validated
 * (and output is validated after) by the dispatcher; handlers only translate
 * to the services and the keyring protocol and announce changes. Secret key
 * material (`keys.backup`) goes from the keyring to the save dialog and
 * never into an answer.
 */
export function createHandlers(services: Services): Handlers {
  // The operation has happened by the time an event is sent: a window that cannot be told must not turn it into a failure.
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
    try {
      services.emit?.(event, payload);
    } catch {
      // the renderer reloads on its next action anyway
    }
  };
  const changed = (fingerprints: string[]) => emit('keyring.changed', { fingerprints });
  const mail = (): MailService => {
    if (!services.mail) throw new SealpostError('internal', 'the mail store is not open');
    return services.mail;
  };
  const given = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  const dialogs = (): SaveDialogs => {
    if (!services.dialogs) throw new SealpostError('dialog-unavailable');
    return services.dialogs;
  };
  const settings = () => {
    if (!services.settings) throw new SealpostError('internal', 'the settings are not kept here');
    return services.settings;
  };
  return {
    'keys.list': (p) => services.keyring.call('keys.list', { secret: p.secret ?? false }),
    'keys.show': (p) => services.keyring.call('keys.show', { query: p.query }),
    'keys.import': async (p) => {
      const outcome = await services.keyring.call('keys.import', { data: p.data, source: p.source });
      if (outcome.changed.length > 0) changed(outcome.changed.map((k) => k.fingerprint));
      return outcome;
    },
    'keys.generate': async (p) => {
      const key = await services.keyring.call('keys.generate', {
        name: p.name,
        email: p.email,
        algo: p.algo,
        expiresInSeconds: p.expiresInSeconds,
        passphrase: p.passphrase,
      });
      changed([key.fingerprint]);
      return key;
    },
    // `secret` is the literal false here (the contract refuses anything else); it is passed on explicitly anyway.
    'keys.export': (p) => services.keyring.call('keys.export', { query: p.query, secret: false, minimal: p.minimal }),
    'keys.trust': async (p) => {
      // The app marks a key verified only after the user confirmed the fingerprint matches, group by group.
      const key = await services.keyring.call('keys.trust', { fingerprint: p.fingerprint, trust: p.trust, how: 'fingerprint' });
      changed([key.fingerprint]);
      return key;
    },
    'keys.history': (p) => services.keyring.call('keys.addressState', { address: p.address }),
    'keys.accept': async (p) => {
      const state = await services.keyring.call('keys.accept', { address: p.address, fingerprint: p.fingerprint });
      changed([p.fingerprint]);
      return state;
    },
    'accounts.list': async () => mail().accounts(),
    'accounts.add': (p) => mail().addAccount(given(p)),
    'accounts.update': (p) => {
      const { id, ...change } = p;
      return mail().updateAccount(id, given(change));
    },
    'accounts.remove': async (p) => {
      await mail().removeAccount(p.id, { force: p.force });
      return {};
    },
    'mail.folders': async (p) => mail().folders(p.accountId),
    'mail.messages': async (p) => mail().messages(p.folderId, { offset: p.offset, limit: p.limit }),
    'mail.read': (p) => mail().read(p.folderId, p.uid),
    'mail.sync': (p) => mail().sync(p.accountId, p.folder),
    'mail.frame': async (p) => {
      if (!services.frames) throw new SealpostError('internal', 'message frames are not served here');
      return { url: services.frames.put(p.document, p.allowRemote, p.remoteUrls ?? []) };
    },
    'mail.watch': async (p) => {
      await mail().watch(p.folderId);
      return {};
    },
    'mail.action': async (p) => mail().act(p.accountId, given({ kind: p.kind, folder: p.folder, uids: p.uids, to: p.to })),
    'mail.send': (p) => mail().send(p.accountId, given(p.draft), { encrypt: p.encrypt, sign: p.sign }),
    'outbox.list': async (p) => mail().outbox(p.accountId),
    'outbox.retry': async (p) => mail().retry(p.id),
    'outbox.cancel': async (p) => {
      mail().cancel(p.id);
      return {};
    },
    'mail.attachment': async (p) => {
      const { filename, contentType, bytes } = await mail().attachment(p.folderId, p.uid, p.index);
      return { filename, contentType, content: bytes };
    },
    'mail.saveAttachment': async (p) => {
      // Asked before the message is read (and decrypted) for nothing.
      const save = dialogs();
      const { filename, bytes } = await mail().attachment(p.folderId, p.uid, p.index);
      return { saved: await save.saveFile(saveName(filename), bytes) };
    },
    'mail.importKeys': async (p) => {
      const outcome = await mail().importMessageKeys(p.folderId, p.uid, p.fingerprints);
      if (outcome.changed.length > 0) changed(outcome.changed.map((k) => k.fingerprint));
      return outcome;
    },
    'compose.recipients': (p) => recipientKeyStates(services.keyring, p.addresses),
    'drafts.save': (p) =>
      mail().saveDraft(p.accountId, given(p.draft), { encrypt: p.encrypt, ...(p.id !== undefined ? { id: p.id } : {}) }),
    'drafts.list': async (p) => mail().drafts(p.accountId),
    'drafts.load': async (p) => {
      const { summary, draft } = await mail().loadDraft(p.id);
      // The composer's fields only (a draft's HTML alternative is not one of them).
      return {
        summary,
        draft: given({
          from: draft.from,
          to: draft.to,
          cc: draft.cc,
          bcc: draft.bcc ?? [],
          subject: draft.subject,
          text: draft.text,
          attachments: draft.attachments,
          inReplyTo: draft.inReplyTo,
          references: draft.references,
        }),
      };
    },
    'drafts.delete': async (p) => {
      mail().deleteDraft(p.id);
      return {};
    },
    'accounts.guess': async (p) => guessServers(p.email),
    'settings.get': async () => (services.settings ? services.settings.get() : { ...DEFAULT_SETTINGS }),
    'settings.set': (p) => settings().set(given(p)),
    'keys.delete': async (p) => {
      await services.keyring.call('keys.delete', { fingerprint: p.fingerprint, secret: p.secret });
      changed([p.fingerprint]);
      return {};
    },
    'keys.revoke': async (p) => {
      const key = await services.keyring.call('keys.revoke', { fingerprint: p.fingerprint, reason: p.reason, passphrase: p.passphrase });
      changed([key.fingerprint]);
      return key;
    },
    'keys.expire': async (p) => {
      const key = await services.keyring.call('keys.expire', {
        fingerprint: p.fingerprint,
        expiresInSeconds: p.expiresInSeconds,
        passphrase: p.passphrase,
      });
      changed([key.fingerprint]);
      return key;
    },
    'keys.passwd': async (p) => {
      const key = await services.keyring.call('keys.passwd', {
        fingerprint: p.fingerprint,
        oldPassphrase: p.oldPassphrase,
        newPassphrase: p.newPassphrase,
      });
      changed([key.fingerprint]);
      return key;
    },
    'keys.lookup': async (p) => {
      const options: LookupOptions = { ...services.lookup, keyring: services.keyring };
      if (p.onAdd) {
        // The keyring's own keys are already in the composer's key state; asking the network is what is left.
        options.sources = ['wkd', 'keyservers'];
        options.timeoutMs = Math.min(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, ON_ADD_TIMEOUT_MS);
      }
      const results = await lookupKeys(p.email, options);
      const found = results.map((r) => ({ source: r.source, keys: r.keys, error: r.error ? short(r.error.message) : null }));
      const conflict = disagreement(results);
      const imported: KeySummary[] = [];
      // Keys that sources disagree on are not taken in passing: the user sees them all and chooses.
      if (p.import && !(p.onAdd && conflict)) {
        for (const report of await importFound(services.keyring, results)) {
          imported.push(...report.changed);
          const entry = found[report.index];
          if (report.error && entry && entry.error === null) entry.error = short(`not imported: ${report.error.message}`);
        }
        if (imported.length > 0) changed(imported.map((k) => k.fingerprint));
      }
      return { found, imported, offline: allNetworkUnreachable(results), disagreement: conflict };
    },
    'keys.refresh': async (p) => {
      const { fetcher, keyservers, timeoutMs, maxBytes } = services.lookup ?? {};
      const reports = await refreshKeys({ keyring: services.keyring, named: p.keys, fetcher, keyservers, timeoutMs, maxBytes });
      const updated = [...new Set(reports.filter((r) => r.changes.length > 0).map((r) => r.fingerprint))];
      if (updated.length > 0) changed(updated);
      return reports.map((r) => (r.error ? { ...r, error: { code: r.error.code, message: short(r.error.message) } } : r));
    },
    'keys.backup': async (p) => {
      const save = dialogs();
      // The secret key stays in its passphrase-protected OpenPGP form and goes from the keyring to the file, never to the renderer.
      // The revocation certificate is saved apart (keys.saveRevocation): in the same file, importing the backup would revoke the key.
      const { armored } = await services.keyring.call('keys.export', { query: p.fingerprint, secret: true, minimal: false });
      return { saved: await save.saveFile(`0x${p.fingerprint.slice(-16)}-secret-key.asc`, Buffer.from(armored, 'utf8')) };
    },
    'keys.saveRevocation': async (p) => {
      const save = dialogs();
      const { armored } = await services.keyring.call('keys.revocationCertificate', { fingerprint: p.fingerprint });
      if (armored === null) return { saved: false, available: false };
      return {
        saved: await save.saveFile(`0x${p.fingerprint.slice(-16)}-revocation-certificate.asc`, Buffer.from(armored, 'utf8')),
        available: true,
      };
    },
    'keys.setupMessage.create': async (p) => {
      const save = dialogs();
      const { preferEncrypt } = services.settings ? await services.settings.get() : DEFAULT_SETTINGS;
      const created = await createSetupMessage(services.keyring, { fingerprint: p.fingerprint, passphrase: p.passphrase, preferEncrypt });
      const saved = await save.saveFile('autocrypt-setup-message.eml', created.message);
      return { saved, code: saved ? created.code : null };
    },
    'keys.setupMessage.import': async (p) => {
      const outcome = await importSetupMessage(services.keyring, { data: p.data, code: p.code, passphrase: p.passphrase });
      if (outcome.changed.length > 0) changed(outcome.changed.map((k) => k.fingerprint));
      return { changed: outcome.changed, problems: outcome.problems };
    },
    'session.unlock': async (p) => {
      const { unlockMinutes } = services.settings ? await services.settings.get() : DEFAULT_SETTINGS;
      const unlocked = await services.keyring.call('session.unlock', {
        fingerprint: p.fingerprint,
        passphrase: p.passphrase,
        ttlSeconds: unlockMinutes * 60,
      });
      return { expiresAt: unlocked.expiresAt };
    },
    'session.lock': async (p) => {
      await services.keyring.call('session.lock', p.fingerprint ? { fingerprint: p.fingerprint } : {});
      emit('session.locked', {});
      return {};
    },
  };
}
