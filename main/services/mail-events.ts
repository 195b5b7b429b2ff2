/** The events the mail side of the app sends, with the contract's payloads (app/ipc/contract.ts names and checks them). */
import type { EventPayload } from '../../app/ipc/contract.ts';

export type MailEventName = 'sync.progress' | 'mail.changed' | 'outbox.changed' | 'mail.arrived';
export type MailEvents = { [E in MailEventName]: EventPayload<E> };
export type EmitMail = <E extends MailEventName>(event: E, payload: EventPayload<E>) => void;
