/**
 * A Web Key Directory tree for a domain (draft-koch-openpgp-webkey-service,
 * sections 3.1 and 4.5), to be served as is by a web server:
 *
 * - advanced method: DIR/.well-known/openpgpkey/DOMAIN/hu/HASH and
 *   DIR/.well-known/openpgpkey/DOMAIN/policy (served from openpgpkey.DOMAIN);
 * - direct method: DIR/.well-known/openpgpkey/hu/HASH and
 *   DIR/.well-known/openpgpkey/policy (served from DOMAIN).
 *
 * HASH is the WKD hash of the local part (./wkd.ts). A file holds the keys
 * for that local part, binary (not armored, section 3.1), one after the
 * other when there are several. The policy file is empty: its presence
 * tells clients the directory exists (section 4.5).
 *
 * Each key in a file carries only the user ids of the address looked up
 * (section 3.1: the key "SHOULD" carry only those): the keyring's export with
 * `onlyUserIdsOf`, so a directory tells nobody a key's other addresses, and a
 * key with two addresses in the domain is in two files, each with its own
 * user id.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { domainToASCII } from 'node:url';
import { normalizeAddress } from '../../app/address.ts';
import { SealpostError } from '../../app/errors.ts';
import { writeFileAtomic } from '../../app/node/atomic-file.ts';
import type { KeyringClient } from '../../app/node/keyring-client.ts';
import { wkdHash } from './wkd.ts';

export type WkdMethod = 'advanced' | 'direct';

export interface WkdExportOptions {
  fingerprints: readonly string[];
  domain: string;
  out: string;
  method?: WkdMethod;
}

/** The domain as the directory names it: lower-case ASCII (punycode). Throws a usage error. */
export function wkdDomain(input: string): string {
  const domain = domainToASCII(input.trim());
  const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
  if (!domain || domain.length > 253 || !new RegExp(`^${label}(?:\\.${label})+$`).test(domain))
    throw new SealpostError('usage', `"${input.slice(0, 200)}" is not a domain name`);
  return domain;
}

/** The folder the hu/ files and the policy file go in, relative to the tree's root. */
export function wkdFolder(domain: string, method: WkdMethod): string {
  return method === 'advanced' ? join('.well-known', 'openpgpkey', domain) : join('.well-known', 'openpgpkey');
}

/** The addresses (as in the user ids) of a key in the domain, one per mailbox (compared as app/address.ts does). */
function addressesIn(emails: readonly string[], domain: string): string[] {
  const out = new Map<string, string>();
  for (const email of emails) {
    const at = email.lastIndexOf('@');
    if (at <= 0) continue;
    if (domainToASCII(email.slice(at + 1)) !== domain) continue;
    if (!out.has(normalizeAddress(email))) out.set(normalizeAddress(email), email);
  }
  return [...out.values()];
}

/** Write the tree; the paths written (hu/ files, then the policy file). Throws a usage error when no key has an address in the domain. */
export async function exportWkd(keyring: KeyringClient, options: WkdExportOptions): Promise<string[]> {
  const domain = wkdDomain(options.domain);
  const method = options.method ?? 'advanced';
  if (options.fingerprints.length === 0) throw new SealpostError('usage', 'no key given');
  // hash -> the keys (in the order named), each cut to the user ids of the address looked up by that hash.
  const files = new Map<string, { fingerprint: string; binary: Uint8Array }[]>();
  for (const query of options.fingerprints) {
    const key = await keyring.call('keys.show', { query });
    for (const address of addressesIn(key.emails, domain)) {
      const hash = wkdHash(address.slice(0, address.lastIndexOf('@')));
      const list = files.get(hash) ?? [];
      if (list.some((k) => k.fingerprint === key.fingerprint)) continue;
      // Public material only: the keyring's public export with that address's user ids, dearmored by the keyring.
      const { armored } = await keyring.call('keys.export', {
        query: key.fingerprint,
        secret: false,
        minimal: false,
        onlyUserIdsOf: address,
      });
      list.push({
        fingerprint: key.fingerprint,
        binary: (await keyring.collect('crypto.dearmor', {}, Buffer.from(armored, 'utf8'))).output,
      });
      files.set(hash, list);
    }
  }
  if (files.size === 0) throw new SealpostError('usage', `none of the keys has an address in ${domain}`);
  const folder = join(options.out, wkdFolder(domain, method));
  // Served by a web server: readable by others, like any published page.
  await mkdir(join(folder, 'hu'), { recursive: true, mode: 0o755 });
  const written: string[] = [];
  for (const [hash, keys] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const path = join(folder, 'hu', hash);
    await writeFileAtomic(path, Buffer.concat(keys.map((k) => k.binary)), 0o644);
    written.push(path);
  }
  const policy = join(folder, 'policy');
  await writeFileAtomic(policy, '', 0o644);
  written.push(policy);
  return written;
}
