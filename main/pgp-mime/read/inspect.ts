/**
 * The report on one message (app/inspect-report.ts, the contract's
 * InspectReport): the walk (message-walk.ts) decides the root, decrypts and
 * verifies; here the report is built and its rules applied: header
 * protection and the From checks, the one signature named, the text and
 * HTML of exactly the content, the attachments, the keys the message carries.
 */
import { SealpostError } from '../../../app/errors.ts';
import type { InspectReport } from '../../../app/inspect-report.ts';
import type { KeyringCalls, KeyringClient } from '../../../app/node/keyring-client.ts';
import { parseMime, walk, decodeHeader, headerValue, type MimePart } from './mime-parse.ts';
import { parseAddresses } from './addresses.ts';
import { sameAddress } from '../../../app/address.ts';
import { bodyHtmlParts, bodyText, HTML_LIMIT, joinHtmlParts, TEXT_LIMIT } from './body-text.ts';
import { autocryptSeen, collectMessageKeys, type AutocryptSeen } from './message-keys.ts';
import { MessageInspector, type Encryption, type InspectOptions } from './message-walk.ts';
import { attachmentEntry, attachmentPartsOf, findProtectedHeaderEntity, firstAddress, isoDate } from './report-fields.ts';
import { chooseSignature } from './signature-choice.ts';

/**
 * Read one message as it lies on the server and say, truthfully, what it
 * is: decrypted and verified with the profile's keys, following the rules of
 * the InspectReport (top-level statuses speak of the whole message only).
 */
export async function inspectMessage(raw: Uint8Array, keyring: KeyringClient, opts: InspectOptions): Promise<InspectReport> {
  return (await examineMessage(raw, keyring, opts)).report;
}

/** Key material a message carries, as it was handed to the keyring's `keys.inspect`, with the keys it holds. */
export interface MessageKeyMaterial {
  data: Uint8Array;
  /** The source an import gives it: attached keys, or Autocrypt (the sender's header and gossip alike). */
  source: 'attachment' | 'autocrypt';
  fingerprints: string[];
}

/** What the reader needs beside the report, from the same reading of the message. */
export interface ExaminedMessage {
  report: InspectReport;
  /**
   * The HTML body of exactly the content the report speaks of (the decrypted
   * or signed entity, or the message when it is neither), unsanitized; null
   * when that content has no HTML or is inline PGP text.
   */
  html: string | null;
  /**
   * Where each HTML part starts in `html` (the first at 0): the reader
   * sanitizes each on its own (EFAIL, see bodyHtmlParts). Empty when `html` is null.
   */
  htmlStarts: number[];
  /** The parts behind `report.attachments`, in the same order (inside the decrypted entity when encrypted). */
  attachmentParts: MimePart[];
  /** The material behind `report.keys`. */
  keyMaterial: MessageKeyMaterial[];
  /** What the message says by Autocrypt, for the sender's peer state (applied by the reading use case, not here). */
  autocrypt: AutocryptSeen;
}

/** The keyring as `collectMessageKeys` sees it, keeping each `keys.inspect` input and what it held. */
function recordingKeyring(keyring: KeyringCalls, material: MessageKeyMaterial[]): KeyringCalls {
  const call: KeyringCalls['call'] = async (method, params) => {
    const result = await keyring.call(method, params);
    if (method === 'keys.inspect') {
      const p = params as { data: Uint8Array; source: string };
      const keys = (result as { keys: { fingerprint: string }[] }).keys;
      material.push({
        data: p.data,
        source: p.source === 'attachment' ? 'attachment' : 'autocrypt',
        fingerprints: keys.map((k) => k.fingerprint),
      });
    }
    return result;
  };
  return { call };
}

/** `inspectMessage`, with the HTML body, the attachments' parts and the keys' material of the same reading. */
export async function examineMessage(raw: Uint8Array, keyring: KeyringClient, opts: InspectOptions): Promise<ExaminedMessage> {
  const parsed = parseMime(raw);
  const root = parsed.root;
  if (
    root.headers.length === 0 ||
    !root.headers.some((h) => ['from', 'to', 'subject', 'date', 'content-type', 'message-id', 'received'].includes(h.key))
  ) {
    throw new SealpostError('bad-input', 'not an RFC 5322 message (no header fields)');
  }
  const inspector = new MessageInspector(keyring, opts);
  const analysis = await inspector.analyzeRoot(root);
  const { warnings, parts } = inspector.report();
  for (const limit of parsed.limitsHit) warnings.push({ code: 'too-complex', message: `parts beyond a limit were not read: ${limit}` });

  // Header protection (RFC 9788; and the older protected-headers="v1"): the inner entity's header fields.
  const inner = analysis.content && analysis.contentProtected ? analysis.content : null;
  const innerRoot = inner && analysis.encryption.status === 'decrypted' ? findProtectedHeaderEntity(inner) : inner;
  // A decrypted entity's header fields are protected as they are; a signed-only one only when it says so.
  const declared = Boolean(innerRoot && (innerRoot.params['protected-headers'] || innerRoot.params.hp));
  const hasProtected = Boolean(
    innerRoot && (declared || (analysis.encryption.status === 'decrypted' && headerValue(innerRoot, 'subject') !== undefined)),
  );
  // The entity whose header fields the report shows (RFC 9788 section 4: the protected ones, when there are
  // any, in place of the outer ones); null when the content carries no protected header section. Never an
  // unprotected part: `innerRoot` is only ever the decrypted entity or a signed one.
  const protectedHeaders = hasProtected && innerRoot ? innerRoot : null;
  /** A protected field's value; undefined when there are no protected headers or they leave this field out. */
  const protectedField = (key: string): string | undefined => (protectedHeaders ? headerValue(protectedHeaders, key) : undefined);
  const outerFrom = firstAddress(headerValue(root, 'from'));
  const innerFrom = firstAddress(protectedField('from'));
  if (innerFrom && outerFrom && !sameAddress(innerFrom.address, outerFrom.address)) {
    warnings.push({
      code: 'from-mismatch',
      message: `the protected From (${innerFrom.address}) differs from the From sent in the clear (${outerFrom.address})`,
    });
  }
  const from = innerFrom ?? outerFrom;
  // Senders that hide their recipients (Delta Chat: To: "hidden-recipients": ;) and move the Date by days outside
  // send the real ones inside; the outer values stay in the report's outer fields.
  const outerTo = parseAddresses(headerValue(root, 'to'));
  const outerCc = parseAddresses(headerValue(root, 'cc'));
  const outerDate = isoDate(headerValue(root, 'date'));
  const innerTo = protectedField('to');
  const innerCc = protectedField('cc');
  // A protected Date that cannot be read leaves the outer one (a date is still better than none).
  const innerDate = isoDate(protectedField('date'));
  const outerSubject = decodeHeader(headerValue(root, 'subject'));
  const innerSubject = protectedField('subject');

  const encryption: Encryption = {
    ...analysis.encryption,
    protectedHeaders: Boolean(analysis.encryption.status === 'decrypted' && innerSubject !== undefined),
  };
  const outerFroms = root.headers.filter((h) => h.key === 'from').flatMap((h) => parseAddresses(h.value));
  if (root.headers.filter((h) => h.key === 'from').length > 1)
    warnings.push({ code: 'multiple-from', message: 'the message has more than one From header field' });
  // Which From the signer must carry: the protected From is the one the signature covers (it lies inside the
  // signed, then encrypted, entity: RFC 3156 section 6), and the one the report shows, so it must match. The
  // outer From fields are not covered, but the message list, other clients and a reply before decryption show
  // them, so they must match too: otherwise a signature by Bob would vouch for a message sent in the clear as
  // Mallory's (or the other way round). A difference between the two is also the from-mismatch warning above.
  const signature = chooseSignature(analysis.verifications, [...outerFroms, ...(innerFrom ? [innerFrom] : [])]);
  if (signature.status === 'valid' && !signature.signerMatchesFrom) {
    warnings.push({
      code: 'signer-mismatch',
      message: `the message is signed by ${signature.signer?.userIds[0] ?? signature.signer?.fingerprint}, who is not the sender ${from?.address ?? ''}`,
    });
  }

  // Protected things below the content root: listed and warned about, never decrypted.
  if (analysis.content) await inspector.scanPartial(analysis.content, analysis.prefix, analysis.contentProtected);

  // RFC 9788 section 4.5.3: the legacy display element copies the protected header fields into the body for
  // readers that cannot show them; this report shows them (when it uses the protected ones), so it leaves it out.
  const bodyOptions = { hideLegacyDisplay: protectedHeaders !== null };
  let text = analysis.inlineText ?? (analysis.content ? bodyText(analysis.content, bodyOptions) : '');
  if (text.length > TEXT_LIMIT) {
    text = text.slice(0, TEXT_LIMIT);
    warnings.push({ code: 'text-truncated', message: `the text is longer than ${TEXT_LIMIT} characters; the rest is not shown` });
  }
  // The same content as the text, and only it: HTML outside the decrypted or signed entity never reaches the reader's frame.
  const htmlParts = analysis.inlineText === null && analysis.content ? bodyHtmlParts(analysis.content, bodyOptions) : null;
  const joined = htmlParts === null ? null : joinHtmlParts(htmlParts);
  let html = joined?.html ?? null;
  let htmlStarts = joined?.starts ?? [];
  if (html !== null && html.length > HTML_LIMIT) {
    html = html.slice(0, HTML_LIMIT);
    htmlStarts = htmlStarts.filter((start) => start < HTML_LIMIT);
    warnings.push({ code: 'html-truncated', message: `the HTML body is longer than ${HTML_LIMIT} characters; the rest is not shown` });
  }
  const attachmentParts = analysis.content ? attachmentPartsOf(analysis.content) : [];
  const attachments = attachmentParts.map((part) => attachmentEntry(part, analysis.contentProtected));
  const keyMaterial: MessageKeyMaterial[] = [];
  const keys = await collectMessageKeys(
    recordingKeyring(keyring, keyMaterial),
    { root, content: analysis.content, contentProtected: analysis.contentProtected, from: outerFrom },
    (w) => warnings.push(w),
  );
  if (parts.length === 0) {
    for (const part of walk(analysis.content ?? root)) {
      if (part.children.length === 0)
        parts.push({ path: part.path, contentType: part.contentType, encrypted: false, signed: false, status: 'plain' });
    }
  }
  const report: InspectReport = {
    from,
    to: innerTo ? parseAddresses(innerTo) : outerTo,
    cc: innerCc ? parseAddresses(innerCc) : outerCc,
    date: innerDate ?? outerDate,
    messageId: headerValue(root, 'message-id')?.trim() ?? null,
    subject: innerSubject !== undefined ? decodeHeader(innerSubject) : outerSubject,
    outerSubject,
    outerFrom,
    outerTo,
    outerCc,
    outerDate,
    encryption,
    signature,
    parts,
    text,
    attachments,
    keys,
    warnings,
  };
  const autocrypt = autocryptSeen({ root, content: analysis.content, contentProtected: analysis.contentProtected, from: outerFrom });
  return { report, html, htmlStarts, attachmentParts, keyMaterial, autocrypt };
}
