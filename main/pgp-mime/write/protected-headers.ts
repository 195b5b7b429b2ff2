/**
 * Protected headers: the message's header fields written again inside the
 * signed or encrypted entity, where a server cannot change them and (when
 * encrypted) nobody on the way can read them.
 *
 * - RFC 9788, section 2.1: the fields at the top of the cryptographic
 *   payload, its Content-Type marked `hp="clear"` (signed) or `hp="cipher"`
 *   (encrypted); with the older `protected-headers="v1"` that Thunderbird
 *   and Enigmail read.
 * - RFC 9788, section 2.2: an encrypted message's outer Subject is obscured
 *   ("...", as Thunderbird writes it), and `HP-Outer` fields inside say what
 *   the outer header section says, so a reader can tell what was obscured.
 * - An encrypted draft keeps only Date, From, Message-ID and the obscured
 *   Subject outside: a draft goes nowhere.
 */
import { fold, messageFieldList, type MessageFields } from './header-fields.ts';
import { assertSevenBitSafe, CRLF, serialize, withContentTypeParams, type Entity } from './mime-body.ts';

/** The outer Subject of an encrypted message (RFC 9788 obscures it; "..." as Thunderbird writes it). */
export const OBSCURED_SUBJECT = '...';

/** What the outer header section says: every field, or less for an encrypted draft; the Subject obscured when encrypted. */
export function outerFieldsFor(fields: MessageFields, encrypt: boolean, draft: boolean): { fields: MessageFields; subject: string } {
  return {
    fields: encrypt && draft ? { ...fields, to: [], cc: [], bcc: [], inReplyTo: null, references: [] } : fields,
    subject: encrypt ? OBSCURED_SUBJECT : fields.subject,
  };
}

/**
 * The entity that is signed or encrypted: the body's Content-* fields (the
 * Content-Type marked), the message fields, for an encrypted message the
 * `HP-Outer` fields, then the body; checked 7-bit safe.
 */
export function protectedEntity(
  body: Entity,
  fields: MessageFields,
  outer: { fields: MessageFields; subject: string },
  encrypt: boolean,
  /** Folded fields that exist only inside encryption (Autocrypt-Gossip). */
  encryptedOnly: readonly string[] = [],
): string {
  const hp = encrypt ? 'cipher' : 'clear';
  const inner = withContentTypeParams(body, `protected-headers="v1"; hp="${hp}"`);
  const innerFields = [...inner.fields.map((f) => f.text), ...messageFieldList(fields, fields.subject).map(([n, v]) => fold(n, v))];
  if (encrypt) {
    for (const [n, v] of messageFieldList(outer.fields, outer.subject)) innerFields.push(fold('HP-Outer', `${n}: ${v}`));
    innerFields.push(...encryptedOnly);
  }
  const innerText = serialize(innerFields, inner.body.endsWith(CRLF) ? inner.body : inner.body + CRLF);
  assertSevenBitSafe(innerText, 'message body');
  return innerText;
}
