/**
 * Server settings guessed from an address's domain, for the first-run form:
 * a small table of well-known providers, else the usual host names of the
 * domain itself. Nothing is looked up on the network (no DNS SRV records of
 * RFC 6186, no autoconfig): the guess only fills the form, and the account
 * is checked by logging in before it is saved.
 *
 * Implicit TLS where the provider offers it (RFC 8314, section 3.3 prefers
 * it for submission too); STARTTLS (smtp://, port 587) where it is all the
 * provider offers for sending.
 */
import { domainToASCII } from 'node:url';
import type { ServerGuess } from '../../app/mail.ts';

interface Provider {
  imap: string;
  smtp: string;
}

const GMAIL: Provider = { imap: 'imaps://imap.gmail.com:993', smtp: 'smtps://smtp.gmail.com:465' };
const OUTLOOK: Provider = { imap: 'imaps://outlook.office365.com:993', smtp: 'smtp://smtp-mail.outlook.com:587' };
const ICLOUD: Provider = { imap: 'imaps://imap.mail.me.com:993', smtp: 'smtp://smtp.mail.me.com:587' };
const GMX_NET: Provider = { imap: 'imaps://imap.gmx.net:993', smtp: 'smtps://mail.gmx.net:465' };
const GMX_COM: Provider = { imap: 'imaps://imap.gmx.com:993', smtp: 'smtps://mail.gmx.com:465' };
/** Proton Mail is read through Proton Mail Bridge on this computer (its defaults: STARTTLS on 1143 and 1025, with its own certificate). */
const PROTON_BRIDGE: Provider = { imap: 'imap://127.0.0.1:1143', smtp: 'smtp://127.0.0.1:1025' };
const FASTMAIL: Provider = { imap: 'imaps://imap.fastmail.com:993', smtp: 'smtps://smtp.fastmail.com:465' };

const PROVIDERS: Record<string, Provider> = {
  'gmail.com': GMAIL,
  'googlemail.com': GMAIL,
  'outlook.com': OUTLOOK,
  'hotmail.com': OUTLOOK,
  'live.com': OUTLOOK,
  'yahoo.com': { imap: 'imaps://imap.mail.yahoo.com:993', smtp: 'smtps://smtp.mail.yahoo.com:465' },
  'icloud.com': ICLOUD,
  'me.com': ICLOUD,
  'posteo.de': { imap: 'imaps://posteo.de:993', smtp: 'smtps://posteo.de:465' },
  'mailbox.org': { imap: 'imaps://imap.mailbox.org:993', smtp: 'smtps://smtp.mailbox.org:465' },
  // GMX runs gmx.net for its German-speaking domains and gmx.com for the others.
  'gmx.net': GMX_NET,
  'gmx.de': GMX_NET,
  'gmx.at': GMX_NET,
  'gmx.ch': GMX_NET,
  'web.de': { imap: 'imaps://imap.web.de:993', smtp: 'smtp://smtp.web.de:587' },
  'proton.me': PROTON_BRIDGE,
  'protonmail.com': PROTON_BRIDGE,
  'protonmail.ch': PROTON_BRIDGE,
  'pm.me': PROTON_BRIDGE,
  'fastmail.com': FASTMAIL,
};

function providerOf(domain: string): Provider | null {
  if (Object.hasOwn(PROVIDERS, domain)) return PROVIDERS[domain]!;
  if (/^gmx\.[a-z.]+$/.test(domain)) return GMX_COM;
  return null;
}

/** The guess for an address (already checked to be one: one @, no spaces). The user name is the address. */
export function guessServers(email: string): ServerGuess {
  const address = email.trim();
  const raw = address.slice(address.lastIndexOf('@') + 1).replace(/\.$/, '');
  // Host names are written in their ASCII form (IDNA); a domain that has none is kept as typed for the user to correct.
  const domain = (domainToASCII(raw) || raw).toLowerCase();
  const known = providerOf(domain);
  if (known) return { imap: known.imap, smtp: known.smtp, user: address, known: true };
  return { imap: `imaps://imap.${domain}:993`, smtp: `smtp://smtp.${domain}:587`, user: address, known: false };
}
