/**
 * Changing an account: what is given changes. When anything the connection
 * depends on changes (server, user, password, CA), both servers are logged
 * in to with the new settings first, as when adding; nothing is saved when
 * that fails.
 */
import type { Account, AccountUpdate, Accounts } from '../accounts/accounts.ts';
import { parseServerUrl } from '../accounts/validate.ts';
import { checkOffline, checkServers } from './check-servers.ts';

/** The change touches the connection: it must be logged in with before it is saved. */
export function changesConnection(change: AccountUpdate): boolean {
  return (
    change.imap !== undefined ||
    change.smtp !== undefined ||
    change.user !== undefined ||
    change.password !== undefined ||
    change.passwordCommand !== undefined ||
    change.caPem !== undefined
  );
}

export async function editAccount(
  accounts: Accounts,
  idOrEmail: string,
  change: AccountUpdate,
  options: { checkServers?: boolean; exclusive?: <T>(accountId: string, work: () => Promise<T>) => Promise<T> } = {},
): Promise<Account> {
  const current = accounts.get(idOrEmail);
  checkOffline(change);
  if (changesConnection(change) && options.checkServers !== false) {
    await checkServers({
      imap: change.imap === undefined ? current.imap : parseServerUrl('imap', change.imap),
      smtp: change.smtp === undefined ? current.smtp : parseServerUrl('smtp', change.smtp),
      user: change.user ?? current.imap.user,
      password:
        change.password !== undefined || change.passwordCommand !== undefined
          ? await accounts.passwordFrom(change)
          : await accounts.password(current.id),
      caPem: change.caPem === undefined ? current.caPem : change.caPem,
    });
  }
  const update = () => accounts.update(current.id, change);
  // The app's per-account runner: a sync of the account does not run on the old settings while they change.
  return options.exclusive ? options.exclusive(current.id, update) : update();
}
