/**
 * The discovery part of `sealpost keys`: lookup, refresh, publish and
 * wkd-export (contract: "Trust and discovery").
 */
import { SealpostError } from '../../app/errors.ts';
import type { KeySummary } from '../../app/keys.ts';
import type { KeyringClient } from '../../app/node/keyring-client.ts';
import type { GlobalOptions } from './args.ts';
import { parseCommand } from './args.ts';
import {
  allNetworkUnreachable,
  disagreement,
  importFound,
  keyserversOf,
  lookupKeys,
  parseAddress,
  type ImportReport,
  type LookupResult,
  type LookupStep,
} from '../discovery/lookup.ts';
import { publishKey } from '../discovery/publish.ts';
import { exportWkd } from '../discovery/wkd-export.ts';
import { refreshKeys, type RefreshReport } from '../usecases/refresh-keys.ts';
import { writeStdout } from './io.ts';

export interface DiscoveryContext {
  keyring: KeyringClient;
  globals: GlobalOptions;
}

export const DISCOVERY_USAGE = {
  lookup: 'keys lookup ADDR [--json] [--import] [--keyserver URL]... [--no-wkd] [--no-keyserver]',
  refresh: 'keys refresh [FPR|ADDR]... [--keyserver URL]... [--json]',
  publish: 'keys publish FPR [--keyserver URL] [--json]',
  wkdExport: 'keys wkd-export FPR... --domain DOMAIN --out DIR [--method advanced|direct]',
};

const keyserverOption = { type: 'string', multiple: true } as const;

function label(k: KeySummary, address: string): string {
  const uid = k.userIds.find((u) => u.toLowerCase().includes(address.toLowerCase())) ?? k.userIds[0] ?? '';
  const expired = k.expires !== null && Date.parse(k.expires) < Date.now();
  const state = k.revoked ? ' [revoked]' : expired ? ' [expired]' : !k.canEncrypt ? ' [cannot encrypt]' : '';
  return `${k.fingerprint}  ${uid}${state}`;
}

/** One line per key found: "wkd: URL -> FPR  Name <addr>"; then whether the sources disagree, and what was imported. */
export function describeLookup(results: LookupResult[], imports: ImportReport[] | null, address: string): string {
  const lines: string[] = [];
  for (const r of results) {
    const name = r.keyserver ? `${r.source} ${r.keyserver}` : r.source;
    const where = r.url ? `${r.url} -> ` : '';
    if (r.error) lines.push(`${name}: failed: ${r.error.message}`);
    else if (r.keys.length === 0) lines.push(`${name}: nothing found`);
    for (const k of r.keys) lines.push(`${name}: ${where}${label(k, address)}`);
    if (r.dropped) lines.push(`${name}: dropped ${r.dropped} key(s) (no user id with ${address}, or secret key material)`);
  }
  const differ = disagreement(results);
  if (differ) {
    lines.push(`the sources disagree: they name ${differ.length} different keys for ${address}:`);
    for (const d of differ) lines.push(`  ${d.fingerprint}  from ${d.from.join(', ')}`);
  }
  for (const i of imports ?? []) {
    const r = results[i.index]!;
    const name = r.keyserver ? `${r.source} ${r.keyserver}` : r.source;
    if (i.error) lines.push(`${name}: ${i.error.message}`);
    else if (i.changed.length === 0) lines.push(`${name}: imported nothing new`);
    for (const k of i.changed) lines.push(`${name}: imported ${label(k, address)}`);
  }
  return lines.join('\n') + '\n';
}

function describeRefresh(reports: RefreshReport[]): string {
  if (reports.length === 0) return 'nothing to refresh\n';
  return (
    reports
      .map((r) => {
        const from = `${r.source}${r.server ? ` ${r.server}` : ''}`;
        if (r.error) return `${r.fingerprint}  ${from}: failed: ${r.error.message}`;
        return `${r.fingerprint}  ${from}: ${r.changes.length ? `changed: ${r.changes.join(', ')}` : 'no change'}`;
      })
      .join('\n') + '\n'
  );
}

async function lookup(ctx: DiscoveryContext, rest: string[]): Promise<void> {
  const usage = DISCOVERY_USAGE.lookup;
  const { values, positionals } = parseCommand(
    rest,
    { import: { type: 'boolean' }, keyserver: keyserverOption, 'no-wkd': { type: 'boolean' }, 'no-keyserver': { type: 'boolean' } },
    usage,
  );
  if (positionals.length !== 1) throw new SealpostError('usage', `expected one address (usage: ${usage})`);
  const address = parseAddress(positionals[0]!);
  if (values.keyserver !== undefined && values['no-keyserver'])
    throw new SealpostError('usage', '--keyserver and --no-keyserver contradict each other');
  const keyservers = keyserversOf(values.keyserver).map((s) => (s.kind === 'hkp' ? s.name : s.base));
  const sources: LookupStep[] = [
    'keyring',
    'autocrypt',
    ...(values['no-wkd'] ? [] : ['wkd' as const]),
    ...(values['no-keyserver'] ? [] : ['keyservers' as const]),
  ];
  const results = await lookupKeys(address, { keyring: ctx.keyring, keyservers, sources });
  const imports = values.import ? await importFound(ctx.keyring, results) : null;
  if (ctx.globals.json) {
    const out = results.map((r, index) => {
      const i = imports?.find((x) => x.index === index);
      return i ? { ...r, imported: i.changed, ...(i.error ? { importError: i.error } : {}) } : r;
    });
    await writeStdout(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    await writeStdout(describeLookup(results, imports, address.address));
  }
  if (allNetworkUnreachable(results)) throw new SealpostError('network-unavailable', 'no key source answered (is the network down?)');
}

async function refresh(ctx: DiscoveryContext, rest: string[]): Promise<void> {
  const { values, positionals } = parseCommand(rest, { keyserver: keyserverOption }, DISCOVERY_USAGE.refresh);
  const reports = await refreshKeys({
    keyring: ctx.keyring,
    named: positionals,
    ...(values.keyserver ? { keyservers: values.keyserver } : {}),
  });
  await writeStdout(ctx.globals.json ? `${JSON.stringify(reports, null, 2)}\n` : describeRefresh(reports));
  const failed = reports.filter((r) => r.error);
  if (failed.length > 0 && failed.length === reports.length) {
    const offline = failed.every((r) => r.error!.code === 'network-unavailable' || r.error!.code === 'network-timeout');
    if (offline) throw new SealpostError('network-unavailable', 'no key source answered (is the network down?)');
  }
}

async function publish(ctx: DiscoveryContext, rest: string[]): Promise<void> {
  const usage = DISCOVERY_USAGE.publish;
  const { values, positionals } = parseCommand(rest, { keyserver: { type: 'string' } }, usage);
  if (positionals.length !== 1) throw new SealpostError('usage', `expected one key (usage: ${usage})`);
  const report = await publishKey(positionals[0]!, { keyring: ctx.keyring, ...(values.keyserver ? { keyserver: values.keyserver } : {}) });
  if (ctx.globals.json) {
    await writeStdout(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const lines = [`uploaded ${report.fingerprint} to ${report.keyserver}`];
  for (const [address, state] of Object.entries(report.status)) {
    lines.push(`${address}: ${state === 'pending' ? 'pending (a confirmation mail was requested)' : state}`);
  }
  await writeStdout(`${lines.join('\n')}\n`);
}

async function wkdExport(ctx: DiscoveryContext, rest: string[]): Promise<void> {
  const usage = DISCOVERY_USAGE.wkdExport;
  const { values, positionals } = parseCommand(
    rest,
    { domain: { type: 'string' }, out: { type: 'string' }, method: { type: 'string', default: 'advanced' } },
    usage,
  );
  if (positionals.length === 0) throw new SealpostError('usage', `no key given (usage: ${usage})`);
  if (!values.domain || !values.out) throw new SealpostError('usage', `--domain and --out are required (usage: ${usage})`);
  if (values.method !== 'advanced' && values.method !== 'direct') throw new SealpostError('usage', '--method must be advanced or direct');
  const files = await exportWkd(ctx.keyring, { fingerprints: positionals, domain: values.domain, out: values.out, method: values.method });
  await writeStdout(ctx.globals.json ? `${JSON.stringify({ files }, null, 2)}\n` : `${files.join('\n')}\n`);
}

/** Runs the discovery subcommand `sub`; false when `sub` is not one of them. */
export async function keysDiscoveryCommand(ctx: DiscoveryContext, sub: string | undefined, rest: string[]): Promise<boolean> {
  switch (sub) {
    case 'lookup':
      await lookup(ctx, rest);
      return true;
    case 'refresh':
      await refresh(ctx, rest);
      return true;
    case 'publish':
      await publish(ctx, rest);
      return true;
    case 'wkd-export':
      await wkdExport(ctx, rest);
      return true;
    default:
      return false;
  }
}
