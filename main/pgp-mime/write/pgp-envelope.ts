/**
 * The PGP/MIME envelopes of RFC 3156 around the protected entity:
 *
 * - section 5, multipart/signed: the entity, byte for byte as it was signed,
 *   then an application/pgp-signature part holding the detached armored
 *   signature; `micalg` names the hash the signature used;
 * - section 4, multipart/encrypted: an application/pgp-encrypted part saying
 *   "Version: 1", then an application/octet-stream part holding the armored
 *   OpenPGP message (signed inside when asked, section 6.2).
 *
 * Every OpenPGP operation is asked of the keyring. The boundary is random and
 * checked to occur in none of the contents.
 */
import { randomBytes } from 'node:crypto';
import type { KeyringClient } from '../../../app/node/keyring-client.ts';
import { CRLF, crlf, serialize } from './mime-body.ts';

/** The outer header section for a given Content-Type field (each line without its CRLF). */
export type OuterHead = (contentType: string[]) => string[];

function boundaryFor(...contents: string[]): string {
  for (;;) {
    const b = `sp-${randomBytes(18).toString('base64url').replace(/[-_]/g, 'x')}`;
    if (!contents.some((c) => c.includes(`--${b}`))) return b;
  }
}

/** A multipart/signed message: the entity signed, detached, by the sender's key. */
export async function signedEnvelope(
  keyring: KeyringClient,
  innerText: string,
  signer: string,
  keyPasswords: string[],
  outerHead: OuterHead,
): Promise<string> {
  const { output, result } = await keyring.collect(
    'crypto.sign',
    { mode: 'detached', signers: { refs: [signer] }, keyPasswords, armor: true, literal: 'binary' },
    Buffer.from(innerText, 'latin1'),
  );
  const signature = crlf(Buffer.from(output).toString('latin1')).replace(/\r\n$/, '') + CRLF;
  const boundary = boundaryFor(innerText, signature);
  const micalg = /^pgp-[a-z0-9-]+$/.test(result.micalg) ? result.micalg : 'pgp-sha256';
  return serialize(
    outerHead([
      `Content-Type: multipart/signed; micalg=${micalg};${CRLF} protocol="application/pgp-signature";${CRLF} boundary="${boundary}"`,
    ]),
    [
      `This is an OpenPGP/MIME signed message (RFC 4880 and 3156)${CRLF}`,
      `--${boundary}${CRLF}`,
      innerText,
      `${CRLF}--${boundary}${CRLF}`,
      `Content-Type: application/pgp-signature; name="signature.asc"${CRLF}`,
      `Content-Description: OpenPGP digital signature${CRLF}`,
      `Content-Disposition: attachment; filename="signature.asc"${CRLF}${CRLF}`,
      signature,
      `${CRLF}--${boundary}--${CRLF}`,
    ].join(''),
  );
}

/** A multipart/encrypted message: the entity encrypted to every recipient key, and signed inside when a signer is given. */
export async function encryptedEnvelope(
  keyring: KeyringClient,
  innerText: string,
  recipients: string[],
  signer: string | null,
  keyPasswords: string[],
  outerHead: OuterHead,
): Promise<string> {
  const { output } = await keyring.collect(
    'crypto.encrypt',
    {
      recipients: { refs: recipients },
      ...(signer ? { signers: { refs: [signer] }, encryptToSigners: true } : {}),
      keyPasswords,
      armor: true,
      literal: 'binary',
    },
    Buffer.from(innerText, 'latin1'),
  );
  const armored = crlf(Buffer.from(output).toString('latin1')).replace(/\r\n$/, '') + CRLF;
  const boundary = boundaryFor(armored);
  return serialize(
    outerHead([`Content-Type: multipart/encrypted;${CRLF} protocol="application/pgp-encrypted";${CRLF} boundary="${boundary}"`]),
    [
      `This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)${CRLF}`,
      `--${boundary}${CRLF}`,
      `Content-Type: application/pgp-encrypted${CRLF}`,
      `Content-Description: PGP/MIME version identification${CRLF}${CRLF}`,
      `Version: 1${CRLF}`,
      `${CRLF}--${boundary}${CRLF}`,
      `Content-Type: application/octet-stream; name="encrypted.asc"${CRLF}`,
      `Content-Description: OpenPGP encrypted message${CRLF}`,
      `Content-Disposition: inline; filename="encrypted.asc"${CRLF}${CRLF}`,
      armored,
      `${CRLF}--${boundary}--${CRLF}`,
    ].join(''),
  );
}
