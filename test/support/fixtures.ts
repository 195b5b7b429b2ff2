import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Paths into test/fixtures/thunderbird (real keys and messages from Thunderbird's test suite, MPL 2.0). */
export const TB = fileURLToPath(new URL('../fixtures/thunderbird/', import.meta.url));
export const tbKey = (name: string): string => `${TB}keys/${name}`;
export const tbEml = (name: string): string => `${TB}eml/${name}`;

export const ALICE_SECRET = tbKey('alice@openpgp.example-0xf231550c4f47e38e-secret-with-pp.asc');
export const ALICE_PASSPHRASE = 'alice-passphrase';
export const ALICE_FPR = 'EB85BB5FA33A75E15E944E63F231550C4F47E38E';
export const BOB_PUBLIC = tbKey('bob@openpgp.example-0xfbfcc82a015e7330-pub.asc');
export const BOB_SECRET = tbKey('bob@openpgp.example-0xfbfcc82a015e7330-secret.asc');
export const BOB_REVOCATION = tbKey('bob@openpgp.example-0xfbfcc82a015e7330-rev.asc');
export const BOB_FPR = 'D1A66E1A23B182C9980F788CFBFCC82A015E7330';

/** The first armored OpenPGP message in a fixture mail. */
export function armoredMessageIn(emlName: string): string {
  const text = readFileSync(tbEml(emlName), 'latin1');
  const m = /-----BEGIN PGP MESSAGE-----[\s\S]*?-----END PGP MESSAGE-----/.exec(text);
  if (!m) throw new Error(`no PGP message in ${emlName}`);
  return m[0].replace(/\r\n/g, '\n');
}
