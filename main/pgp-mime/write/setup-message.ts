/**
 * The mail around an Autocrypt Setup Message payload (Autocrypt Level 1,
 * section "Message Structure"): To and From the user's own address, the
 * `Autocrypt-Setup-Message: v1` header, multipart/mixed with an explanation
 * first and the payload as an `application/autocrypt-setup` attachment named
 * `autocrypt-setup-message.html`, an HTML page with the armored block in a
 * `<pre>`. Everything is 7-bit text with lines under 78 octets, so it is
 * written as it is (no transfer encoding that a reader would have to undo
 * to find the block by eye).
 */
import { randomBytes } from 'node:crypto';
import { SealpostError } from '../../../app/errors.ts';
import { cleanAddress, domainOf, fold, messageFieldList } from './header-fields.ts';
import { CRLF, crlf } from './mime-body.ts';

export const SETUP_MESSAGE_SUBJECT = 'Autocrypt Setup Message';
export const SETUP_ATTACHMENT_NAME = 'autocrypt-setup-message.html';

function explanation(begin: string): string {
  return [
    'This message contains all information to transfer your Autocrypt',
    'settings along with your secret key securely from your original',
    'device.',
    '',
    'To set up your new device for Autocrypt, open this message in an',
    'Autocrypt-capable mail app there and enter the Setup Code that your',
    `original device showed you. It begins with ${begin}.`,
    '',
    'You can keep this message as a backup of your secret key. If you do,',
    'write down the Setup Code and keep it in a safe place: without it the',
    'key in this message cannot be used, and with it anyone can use it.',
    '',
  ].join('\n');
}

function page(armored: string): string {
  return [
    '<html><body>',
    '<p>',
    'This is the Autocrypt Setup File used to transfer settings and keys',
    'between clients. You can decrypt it using the Setup Code presented on',
    'your old device, and then import the contained key into your keyring.',
    '</p>',
    '',
    '<pre>',
    armored.trimEnd(),
    '</pre></body></html>',
    '',
  ].join('\n');
}

/** The message (RFC 5322, CRLF line endings) for an armored payload, addressed to `address` from itself. */
export function setupMessage(input: { address: string; name?: string; armored: string; passphraseBegin: string; date?: Date }): Buffer {
  if (!/^-----BEGIN PGP MESSAGE-----\r?\n[\s\S]*-----END PGP MESSAGE-----\s*$/.test(input.armored))
    throw new SealpostError('internal', 'the setup message payload is not an armored OpenPGP message');
  const self = cleanAddress({ name: input.name ?? '', address: input.address }, 'the account address');
  const boundary = `----=_setup_${randomBytes(12).toString('hex')}`;
  const fields = messageFieldList(
    {
      messageId: `<${randomBytes(16).toString('hex')}@${domainOf(self.address)}>`,
      date: input.date ?? new Date(),
      from: self,
      to: [self],
      cc: [],
      bcc: [],
      subject: SETUP_MESSAGE_SUBJECT,
      inReplyTo: null,
      references: [],
    },
    SETUP_MESSAGE_SUBJECT,
  ).map(([name, value]) => fold(name, value));
  const head = [
    ...fields,
    'MIME-Version: 1.0',
    'Autocrypt-Setup-Message: v1',
    `Content-Type: multipart/mixed;${CRLF} boundary="${boundary}"`,
  ];
  const body = [
    `--${boundary}`,
    'Content-Type: text/plain; charset=us-ascii',
    'Content-Transfer-Encoding: 7bit',
    '',
    crlf(explanation(input.passphraseBegin)),
    `--${boundary}`,
    'Content-Type: application/autocrypt-setup',
    `Content-Disposition: attachment; filename="${SETUP_ATTACHMENT_NAME}"`,
    'Content-Transfer-Encoding: 7bit',
    '',
    crlf(page(input.armored)),
    `--${boundary}--`,
    '',
  ];
  const text = head.join(CRLF) + CRLF + CRLF + body.join(CRLF);
  if (/[^\x00-\x7f]/.test(text)) throw new SealpostError('internal', 'the setup message is not 7-bit text');
  return Buffer.from(text, 'latin1');
}
