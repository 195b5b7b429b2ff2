import type { InspectReport } from '../../../app/inspect-report.ts';
import { addressText, fullDateText, normalizeAddress, sameAddress, type NamedAddress } from './format.ts';

/**
 * Replies and forwards, built from what the reader showed: the report's
 * protected subject and text (never the outer "..." subject, never the raw
 * message), so a reply quotes exactly what the user read. A reply to
 * encrypted mail is encrypted by default.
 */

export type ReplyMode = 'reply' | 'reply-all' | 'forward';

export interface ComposeSeed {
  to: NamedAddress[];
  cc: NamedAddress[];
  bcc: NamedAddress[];
  subject: string;
  body: string;
  inReplyTo?: string;
  references?: string[];
  /** true: encryption on whatever the settings say (a reply to encrypted mail); null: the settings decide. */
  encrypt: boolean | null;
}

export function emptySeed(): ComposeSeed {
  return { to: [], cc: [], bcc: [], subject: '', body: '', encrypt: null };
}

function prefixed(prefix: 'Re' | 'Fwd', subject: string): string {
  const s = subject.trim();
  const already = prefix === 'Re' ? /^re\s*:/i : /^(fwd?|fw)\s*:/i;
  return already.test(s) ? s : `${prefix}: ${s}`.trimEnd();
}

/** Every line prefixed with "> " (">" for an already quoted line, as mail clients do). */
export function quoteText(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n');
  return lines.map((line) => (line.startsWith('>') ? `>${line}` : line === '' ? '>' : `> ${line}`)).join('\n');
}

function dedupe(list: NamedAddress[], exclude: string[]): NamedAddress[] {
  const seen = new Set(exclude.map((a) => normalizeAddress(a)));
  const out: NamedAddress[] = [];
  for (const a of list) {
    const key = normalizeAddress(a.address);
    if (!a.address || seen.has(key)) continue;
    seen.add(key);
    out.push({ name: a.name, address: a.address });
  }
  return out;
}

/** The seed for a reply, reply to all or forward of the message the reader shows, written by `me`. */
export function replySeed(report: InspectReport, mode: ReplyMode, me: string): ComposeSeed {
  const encrypted = report.encryption.status === 'decrypted';
  const ids = report.messageId ? { inReplyTo: report.messageId, references: [report.messageId] } : {};
  if (mode === 'forward') {
    const header = [
      '-------- Forwarded message --------',
      `From: ${addressText(report.from)}`,
      `Date: ${fullDateText(report.date)}`,
      `Subject: ${report.subject}`,
      `To: ${report.to.map(addressText).join(', ')}`,
      ...(report.cc.length > 0 ? [`Cc: ${report.cc.map(addressText).join(', ')}`] : []),
    ].join('\n');
    return {
      to: [],
      cc: [],
      bcc: [],
      subject: prefixed('Fwd', report.subject),
      body: `\n\n${header}\n\n${report.text.replace(/\n+$/, '')}\n`,
      encrypt: encrypted ? true : null,
    };
  }
  const from = report.from ? [report.from] : [];
  // Replying to one's own message goes to its recipients, as every mail client does.
  const fromMe = report.from !== null && sameAddress(report.from.address, me);
  let to = fromMe ? dedupe(report.to, [me]) : dedupe(from, []);
  let cc: NamedAddress[] = [];
  if (mode === 'reply-all') {
    to = fromMe ? dedupe(report.to, [me]) : dedupe([...from, ...report.to], [me]);
    cc = dedupe(report.cc, [me, ...to.map((a) => a.address)]);
  }
  if (to.length === 0 && from.length > 0) to = dedupe(from, []);
  const who = report.from ? addressText(report.from) : 'someone';
  const when = report.date ? `On ${fullDateText(report.date)}, ` : '';
  const body = `\n\n${when}${who} wrote:\n${quoteText(report.text)}\n`;
  return { to, cc, bcc: [], subject: prefixed('Re', report.subject), body, ...ids, encrypt: encrypted ? true : null };
}
