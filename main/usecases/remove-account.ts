/**
 * Removing an account: the account, its local copy of the server and its
 * password; refused while unsent mail or unsaved drafts remain, unless
 * `force` (accounts/accounts.ts).
 */
import type { Accounts } from '../accounts/accounts.ts';

export async function removeAccount(
  accounts: Accounts,
  idOrEmail: string,
  options: { force?: boolean; exclusive?: <T>(accountId: string, work: () => Promise<T>) => Promise<T> } = {},
): Promise<string> {
  const account = accounts.get(idOrEmail);
  const remove = () => accounts.remove(account.id, { force: options.force === true });
  // In the app, after the account's network work already running, which would otherwise write into a removed account.
  await (options.exclusive ? options.exclusive(account.id, remove) : remove());
  return account.id;
}
