/**
 * Composing a message: one RFC 5322 message, PGP/MIME (RFC 3156) when it is
 * signed or encrypted, with the headers protected inside the signed or
 * encrypted part (RFC 9788) and an Autocrypt header for the sender's key.
 *
 * This module decides; each part is made by the module of its concern:
 * header-fields.ts (the checked, encoded fields), recipient-keys.ts (which
 * keys), mime-body.ts (the 7-bit safe MIME body), protected-headers.ts (the
 * protected entity and the obscured outer Subject), autocrypt-header.ts and
 * pgp-envelope.ts (multipart/signed, multipart/encrypted). The bytes that are
 * signed are exactly the bytes that stand between the boundaries.
 */
import { randomUUID } from 'node:crypto';
import { SealpostError } from '../../../app/errors.ts';
import { normalizeAddress } from '../../../app/address.ts';
import type { KeyringClient } from '../../../app/node/keyring-client.ts';
import { autocryptGossipHeader, autocryptHeader } from './autocrypt-header.ts';
import type { ComposeOptions, Draft, DraftAttachment } from './draft.ts';
import { asciiAddress, cleanAddress, domainOf, fold, messageFieldList, msgId, type MessageFields } from './header-fields.ts';
import { assertSevenBitSafe, buildBody, crlf, oneLine, serialize } from './mime-body.ts';
import { encryptedEnvelope, signedEnvelope } from './pgp-envelope.ts';
import { outerFieldsFor, protectedEntity } from './protected-headers.ts';
import { isUsableForEncryption, keyChangedError, recipientKey, senderKey, whyUnusable } from './recipient-keys.ts';

/**
 * One RFC 5322 message for the draft, as asked: signed (multipart/signed),
 * encrypted and signed (multipart/encrypted, one OpenPGP message that is
 * signed and encrypted to every recipient and the sender), encrypted only, or
 * plain. When encrypting, every recipient must have a usable key: otherwise
 * it throws `compose-no-key` naming each address without one, before any
 * OpenPGP operation runs.
 */
export async function composeMessage(keyring: KeyringClient, draft: Draft, opts: ComposeOptions): Promise<Buffer> {
  const now = opts.now ?? new Date();
  const from = cleanAddress(draft.from, 'the sender');
  const to = draft.to.map((a) => cleanAddress(a, 'the recipient'));
  const cc = draft.cc.map((a) => cleanAddress(a, 'the recipient'));
  const bcc = (draft.bcc ?? []).map((a) => cleanAddress(a, 'the recipient'));
  const isDraft = opts.draft === true;
  if (to.length + cc.length + bcc.length === 0 && !isDraft) throw new SealpostError('bad-input', 'the message has no recipient');
  const fields: MessageFields = {
    messageId: opts.messageId ? msgId(opts.messageId, 'the message id') : `<${randomUUID()}@${domainOf(from.address)}>`,
    date: now,
    from,
    to,
    cc,
    bcc: isDraft ? bcc : [],
    subject: oneLine(draft.subject),
    inReplyTo: draft.inReplyTo ? msgId(draft.inReplyTo, 'In-Reply-To') : null,
    references: (draft.references ?? [])
      .flatMap((r) => r.split(/\s+/))
      .filter(Boolean)
      .map((r) => msgId(r, 'References')),
  };

  const nowMs = now.getTime();
  const sender = await senderKey(keyring, from.address, nowMs);
  if (!sender && (opts.sign || opts.encrypt || opts.attachKey)) {
    throw new SealpostError('key-no-secret', `no usable secret key carries the sender address ${from.address}`, { address: from.address });
  }

  // Every recipient's key, before anything is made.
  const recipientRefs: string[] = [];
  // The To and Cc recipients' keys, for Autocrypt-Gossip; Bcc recipients stay out, or the gossip would name them.
  const visible = new Map<string, { address: string; fingerprint: string }>();
  if (opts.encrypt && isDraft) {
    if (!isUsableForEncryption(sender!, nowMs))
      throw new SealpostError('compose-no-key', `${from.address} (own ${whyUnusable(sender!, nowMs)})`, { addresses: [from.address] });
    recipientRefs.push(sender!.fingerprint);
  } else if (opts.encrypt) {
    const problems: { address: string; why: string }[] = [];
    const seen = new Set<string>();
    for (const r of [...to, ...cc, ...bcc]) {
      const id = normalizeAddress(r.address);
      if (seen.has(id)) continue;
      seen.add(id);
      const found = await recipientKey(keyring, r.address, nowMs);
      // A key change stops the message whatever else is wrong: neither key is used until the user chooses.
      if ('changed' in found) throw keyChangedError(found.changed);
      if ('problem' in found) problems.push({ address: r.address, why: found.problem });
      else {
        if (!recipientRefs.includes(found.key.fingerprint)) recipientRefs.push(found.key.fingerprint);
        if (!bcc.includes(r)) visible.set(id, { address: asciiAddress(r.address), fingerprint: found.key.fingerprint });
      }
    }
    if (sender && !isUsableForEncryption(sender, nowMs)) problems.push({ address: from.address, why: `own ${whyUnusable(sender, nowMs)}` });
    if (problems.length > 0) {
      const detail = problems.map((p) => `${p.address} (${p.why})`).join('; ');
      throw new SealpostError('compose-no-key', detail, { addresses: problems.map((p) => p.address) });
    }
    if (!recipientRefs.includes(sender!.fingerprint)) recipientRefs.push(sender!.fingerprint);
  }

  const extra: DraftAttachment[] = [];
  if (opts.attachKey && sender) {
    const { armored } = await keyring.call('keys.export', { query: sender.fingerprint });
    extra.push({
      filename: `OpenPGP_0x${sender.keyId}.asc`,
      contentType: 'application/pgp-keys',
      content: Buffer.from(crlf(armored), 'utf8'),
    });
  }
  const autocrypt =
    sender && sender.canEncrypt && !isDraft
      ? await autocryptHeader(keyring, asciiAddress(from.address), sender.fingerprint, opts.preferEncrypt ?? 'nopreference')
      : null;
  // Autocrypt Level 1, section 2.7: gossip only in encrypted mail to more than one recipient.
  visible.delete(normalizeAddress(from.address));
  const gossip =
    visible.size > 1 ? await Promise.all([...visible.values()].map((v) => autocryptGossipHeader(keyring, v.address, v.fingerprint))) : [];
  const body = await buildBody({ ...draft, from, to, cc, bcc }, extra);

  const outer = outerFieldsFor(fields, opts.encrypt, isDraft);
  const outerMessageFields = messageFieldList(outer.fields, outer.subject).map(([n, v]) => fold(n, v));
  const outerHead = (contentType: string[]): string[] => [
    ...outerMessageFields,
    'MIME-Version: 1.0',
    ...(autocrypt ? [autocrypt] : []),
    ...contentType,
  ];

  let message: string;
  if (!opts.sign && !opts.encrypt) {
    message = serialize(outerHead(body.fields.map((f) => f.text)), body.body);
  } else {
    const innerText = protectedEntity(body, fields, outer, opts.encrypt, gossip);
    message = opts.encrypt
      ? await encryptedEnvelope(keyring, innerText, recipientRefs, opts.sign ? sender!.fingerprint : null, opts.keyPasswords, outerHead)
      : await signedEnvelope(keyring, innerText, sender!.fingerprint, opts.keyPasswords, outerHead);
  }
  assertSevenBitSafe(message, 'message');
  return Buffer.from(message, 'latin1');
}
