import type { KeyringClient } from '../../keyring/client.ts';
import { SealpostError } from '../../app/errors.ts';
import type { EventName, EventPayload, ProcedureName, ProcedureOutput, ProcedureParams } from '../../app/ipc/contract.ts';
import type { MailService } from '../services/mail-service.ts';

/** What the handlers need from the rest of the main process. */
export interface Services {
  /** The keyring, through its client only. Read on every call, so a supervisor may replace it. */
  readonly keyring: Pick<KeyringClient, 'call'>;
  /** Tell every window (or bridge) that something changed; optional for the command line. A failure here never fails the call. */
  emit?<E extends EventName>(event: E, payload: EventPayload<E>): void;
  /** Accounts, mail and the outbox; absent where no mail store is open. */
  readonly mail?: MailService;
}

export type Handler<P extends ProcedureName> = (params: ProcedureParams<P>) => Promise<ProcedureOutput<P>>;
export type Handlers = { [P in ProcedureName]: Handler<P> };

/**
 * One handler per procedure of app/ipc/contract.ts. Input arrives validated
 * (and output is validated after) by the dispatcher; handlers only translate
 * to the keyring protocol and announce changes.
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
      const key = await services.keyring.call('keys.trust', { fingerprint: p.fingerprint, trust: p.trust });
      changed([key.fingerprint]);
      return key;
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
    'session.lock': async (p) => {
      await services.keyring.call('session.lock', p.fingerprint ? { fingerprint: p.fingerprint } : {});
      emit('session.locked', {});
      return {};
    },
  };
}
