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
 * The keyring exports a key whole (it offers no filtering by user id), so a
 * key with addresses in other domains shows those user ids in this domain's
 * directory too.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { domainToASCII } from 'node:url';
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

/** The local parts (as in the user ids) of a key's addresses in the domain, compared without regard to case. */
function localPartsIn(emails: readonly string[], domain: string): string[] {
  const out: string[] = [];
  for (const email of emails) {
    const at = email.lastIndexOf('@');
    if (at <= 0) continue;
    if (domainToASCII(email.slice(at + 1)) !== domain) continue;
    out.push(email.slice(0, at));
  }
  return out;
}

/** Write the tree; the paths written (hu/ files, then the policy file). Throws a usage error when no key has an address in the domain. */
export async function exportWkd(keyring: KeyringClient, options: WkdExportOptions): Promise<string[]> {
  const domain = wkdDomain(options.domain);
  const method = options.method ?? 'advanced';
  if (options.fingerprints.length === 0) throw new SealpostError('usage', 'no key given');
  // hash -> the keys (by fingerprint, in the order named) whose user ids carry that local part.
  const files = new Map<string, string[]>();
  const binary = new Map<string, Uint8Array>();
  for (const query of options.fingerprints) {
    const key = await keyring.call('keys.show', { query });
    for (const local of localPartsIn(key.emails, domain)) {
      const hash = wkdHash(local);
      const list = files.get(hash) ?? [];
      if (!list.includes(key.fingerprint)) list.push(key.fingerprint);
      files.set(hash, list);
    }
    if (!binary.has(key.fingerprint) && [...files.values()].some((l) => l.includes(key.fingerprint))) {
      // Public material only: the keyring's public export, dearmored by the keyring.
      const { armored } = await keyring.call('keys.export', { query: key.fingerprint, secret: false, minimal: false });
      binary.set(key.fingerprint, (await keyring.collect('crypto.dearmor', {}, Buffer.from(armored, 'utf8'))).output);
    }
  }
  if (files.size === 0) throw new SealpostError('usage', `none of the keys has an address in ${domain}`);
  const folder = join(options.out, wkdFolder(domain, method));
  // Served by a web server: readable by others, like any published page.
  await mkdir(join(folder, 'hu'), { recursive: true, mode: 0o755 });
  const written: string[] = [];
  for (const [hash, fprs] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const path = join(folder, 'hu', hash);
    await writeFileAtomic(path, Buffer.concat(fprs.map((f) => binary.get(f)!)), 0o644);
    written.push(path);
  }
  const policy = join(folder, 'policy');
  await writeFileAtomic(policy, '', 0o644);
  written.push(policy);
  return written;
}
