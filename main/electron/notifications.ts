import type { NotificationConstructorOptions } from 'electron';
import type { EventPayload } from '../../app/ipc/contract.ts';

/** The parts of Electron's Notification this module uses (a test passes a fake). */
export interface NotificationApi {
  new (options: NotificationConstructorOptions): NotificationLike;
  isSupported(): boolean;
}

export interface NotificationLike {
  show(): void;
  on(event: 'click' | 'close' | 'failed', listener: (...args: unknown[]) => void): unknown;
}

const MAX_LIVE = 20;

export type MailArrived = EventPayload<'mail.arrived'>;

/** One line of at most `max` characters, without control characters (the text comes from a mail's headers). */
function line(text: string, max: number): string {
  const clean = text
    .replace(/[\u0000-\u001F\u007F-\u009F\u2028\u2029]/g, ' ')
    .replace(/[\u202A-\u202E\u2066-\u2069]/g, '')
    .replace(/ {2,}/g, ' ')
    .trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/**
 * What the notification says: the count as the title, the newest message's
 * From and outer subject as the body. Only what the message list shows:
 * never decrypted content (an encrypted message's outer subject is "...").
 */
export function mailNotificationText(payload: MailArrived): { title: string; body: string } {
  const title = payload.count === 1 ? '1 new message' : `${payload.count} new messages`;
  if (!payload.latest) return { title, body: '' };
  const from = line(payload.latest.from, 120);
  const subject = line(payload.latest.subject, 200);
  return { title, body: [from, subject || '(no subject)'].filter(Boolean).join('\n') };
}

export interface MailNotifierDeps {
  Notification: NotificationApi;
  /** Whether the user wants notifications; a failure to read the settings counts as yes (the default). */
  enabled(): Promise<boolean>;
  /** Brings the app's window to the front (clicking the notification). */
  focus(): void;
}

/**
 * Shows a desktop notification for `mail.arrived`, unless the settings turn
 * them off or the system has none. Shown notifications are kept referenced
 * until they close: one that is garbage-collected no longer reports its click.
 */
export function createMailNotifier(deps: MailNotifierDeps): (payload: MailArrived) => Promise<void> {
  const live = new Set<NotificationLike>();
  return async (payload) => {
    let enabled = true;
    try {
      enabled = await deps.enabled();
    } catch {
      enabled = true;
    }
    if (!enabled || !deps.Notification.isSupported()) return;
    const { title, body } = mailNotificationText(payload);
    const notification = new deps.Notification({ title, body, silent: false });
    live.add(notification);
    // Some systems keep notifications in a list and never report their close: keep the newest few only.
    if (live.size > MAX_LIVE) live.delete(live.values().next().value!);
    const forget = () => void live.delete(notification);
    notification.on('click', () => {
      forget();
      deps.focus();
    });
    notification.on('close', forget);
    notification.on('failed', forget);
    notification.show();
  };
}
