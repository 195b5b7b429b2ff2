import type { EventPayload } from '../../../app/ipc/contract.ts';
import type { NamedAddress } from './format.ts';
import { emptySeed, type ComposeSeed } from './reply.ts';

/** The contract's address rule (app/ipc/contract.ts `Email`): one @, no spaces, no angle brackets. */
export const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/u;

export function isEmail(text: string): boolean {
  const t = text.trim();
  return t.length >= 3 && t.length <= 320 && EMAIL.test(t);
}

/** Split typed or pasted text into entries at commas, semicolons and line breaks outside quotes and angle brackets. */
export function splitEntries(text: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  let angle = false;
  for (const ch of text) {
    if (ch === '"' && !angle) quoted = !quoted;
    else if (ch === '<' && !quoted) angle = true;
    else if (ch === '>' && !quoted) angle = false;
    if (!quoted && !angle && (ch === ',' || ch === ';' || ch === '\n' || ch === '\r')) {
      if (current.trim()) out.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

/** One entry: `Name <a@b>`, `"Name, Jr." <a@b>`, `<a@b>` or `a@b`; null when it holds no valid address. */
export function parseEntry(entry: string): NamedAddress | null {
  const text = entry.trim().replace(/^mailto:/i, '');
  const angle = /^(.*)<([^<>]*)>\s*$/.exec(text);
  if (angle) {
    const address = angle[2]!.trim();
    if (!isEmail(address)) return null;
    const name = angle[1]!
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .replace(/\\(.)/g, '$1')
      .trim();
    return { name: name.replace(/[<>\p{Cc}]/gu, '').slice(0, 256), address };
  }
  return isEmail(text) ? { name: '', address: text } : null;
}

export interface ParsedAddresses {
  valid: NamedAddress[];
  invalid: string[];
}

export function parseAddresses(text: string | readonly string[]): ParsedAddresses {
  const entries = typeof text === 'string' ? splitEntries(text) : text.flatMap((t) => splitEntries(t));
  const valid: NamedAddress[] = [];
  const invalid: string[] = [];
  for (const e of entries) {
    const parsed = parseEntry(e);
    if (parsed) valid.push(parsed);
    else invalid.push(e);
  }
  return { valid, invalid };
}

/**
 * The composer's prefill for a mailto: link the system handed to the app
 * (`compose.open`). Entries that are not addresses are kept aside for the
 * user to see and fix, never silently dropped; main never passes attachments.
 */
export function mailtoSeed(payload: EventPayload<'compose.open'>): { seed: ComposeSeed; invalid: string[] } {
  const to = parseAddresses(payload.to);
  const cc = parseAddresses(payload.cc);
  const bcc = parseAddresses(payload.bcc);
  const seed: ComposeSeed = {
    ...emptySeed(),
    to: to.valid,
    cc: cc.valid,
    bcc: bcc.valid,
    subject: payload.subject.replace(/[\r\n]+/g, ' ').trim(),
    body: payload.body.replace(/\r\n?/g, '\n'),
  };
  return { seed, invalid: [...to.invalid, ...cc.invalid, ...bcc.invalid] };
}
