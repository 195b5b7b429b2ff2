/**
 * Adding an account: the settings checked offline, an existing account with
 * the address refused, then a login to both servers, and only when both
 * accepted the account saved (record and password, accounts/accounts.ts).
 * Any failure saves nothing.
 */
import { SealpostError } from '../../app/errors.ts';
import type { Account, AccountInput, Accounts } from '../accounts/accounts.ts';
import { parseServerUrl } from '../accounts/validate.ts';
import { checkOffline, checkServers } from './check-servers.ts';

export async function addAccount(accounts: Accounts, input: AccountInput, options: { checkServers?: boolean } = {}): Promise<Account> {
  checkOffline(input);
  if (accounts.find(input.email)) throw new SealpostError('account-exists', input.email, { email: input.email });
  // A password command runs here already: a command that fails is reported before anything is saved.
  const password = await accounts.passwordFrom(input);
  if (options.checkServers !== false) {
    await checkServers({
      imap: parseServerUrl('imap', input.imap),
      smtp: parseServerUrl('smtp', input.smtp),
      user: input.user,
      password,
      caPem: input.caPem ?? null,
    });
  }
  return accounts.add(input);
}
