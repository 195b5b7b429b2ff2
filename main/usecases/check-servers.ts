/**
 * The login check before account settings are saved: both servers are
 * logged in to with exactly the settings that would be saved. What can be
 * checked offline (addresses, URLs, user name, CA) is checked first, so that
 * nothing is contacted for settings that cannot work.
 */
import { SealpostError } from '../../app/errors.ts';
import { parseServerUrl, validateCaPem, validateEmail, validateText, type ServerAddress } from '../accounts/validate.ts';
import { checkImap, checkSmtp } from '../mail/connection-check.ts';

export interface ServerSettings {
  imap: ServerAddress;
  smtp: ServerAddress;
  user: string;
  password: string;
  caPem: string | null;
}

/** The user name as the account store takes it. */
export const validateUser = (user: string | undefined): string => validateText(user, 'the user name', { min: 1, max: 256 });

/** Checks the settings offline; throws the store's own error for the first thing wrong. */
export function checkOffline(input: {
  email?: string;
  imap?: string;
  smtp?: string;
  user?: string;
  password?: string;
  caPem?: string | null;
}): void {
  if (input.email !== undefined) validateEmail(input.email);
  if (input.imap !== undefined) parseServerUrl('imap', input.imap);
  if (input.smtp !== undefined) parseServerUrl('smtp', input.smtp);
  if (input.user !== undefined) validateUser(input.user);
  if (input.password !== undefined && input.password.length === 0) throw new SealpostError('bad-input', 'the password is empty');
  if (input.caPem !== undefined && input.caPem !== null) validateCaPem(input.caPem);
}

/** Logs in to the IMAP server, then the SMTP server; throws the first refusal. */
export async function checkServers(settings: ServerSettings): Promise<void> {
  await checkImap(settings.imap, settings.user, settings.password, settings.caPem);
  await checkSmtp(settings.smtp, settings.user, settings.password, settings.caPem);
}
