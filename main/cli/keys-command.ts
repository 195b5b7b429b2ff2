import { SealpostError } from '../../app/errors.ts';
import type { AddressState, KeySummary } from '../../app/keys.ts';
import { Trust } from '../../app/keys.ts';
import { parseCommand } from './args.ts';
import { parseDuration } from './durations.ts';
import { parseAddress } from '../discovery/lookup.ts';
import { DISCOVERY_USAGE, keysDiscoveryCommand } from './keys-discovery-command.ts';
import { chooseRecipientKey, isUsableForEncryption } from '../pgp-mime/write/recipient-keys.ts';
import { newPassphrase, promptHidden, readInputFile, readPassphraseFile, writeStdout } from './io.ts';
import type { CommandContext } from './command-context.ts';
import { setupMessageCommand } from './setup-message-command.ts';

export type { CommandContext } from './command-context.ts';

const USAGE = {
  generate:
    'keys generate --name NAME --email ADDR [--algo curve25519|rsa4096] [--expires 2y|never] [--passphrase-file F | --no-passphrase]',
  import: 'keys import FILE... [--json]',
  list: 'keys list [--secret] [--json]',
  show: 'keys show FPR|ADDR [--json]',
  export: 'keys export FPR|ADDR [--secret] [--minimal]',
  delete: 'keys delete FPR [--secret] --yes',
  trust: 'keys trust FPR unverified|verified|rejected',
  revoke: 'keys revoke FPR [--reason TEXT] [--passphrase-file F]',
  expire: 'keys expire FPR --in 2y|never [--passphrase-file F]',
  passwd: 'keys passwd FPR [--passphrase-file OLD] [--new-passphrase-file NEW | --no-passphrase]',
  adduid: 'keys add-uid FPR --uid "Name <addr>" [--passphrase-file F]',
  ...DISCOVERY_USAGE,
  history: 'keys history ADDR [--json]',
  accept: 'keys accept ADDR FPR',
  setupMessage: 'keys setup-message create FPR --out FILE | keys setup-message import FILE --code-file F',
};

/** `keys history --json`: every key seen for the address, when and where from, and which one is in use. */
export function historyView(state: AddressState, now = Date.now()) {
  const choice = chooseRecipientKey(state, now);
  const inUse = 'key' in choice ? choice.key.fingerprint : null;
  return {
    address: state.address,
    inUse,
    state: 'key' in choice ? 'ok' : 'changed' in choice ? 'changed' : 'no-usable-key',
    ...('changed' in choice ? { change: choice.changed } : {}),
    accepted: state.accepted,
    keys: state.keys.map((k) => ({
      fingerprint: k.fingerprint,
      userIds: k.userIds,
      sources: k.sources,
      firstSeen: k.firstSeen,
      lastSeen: k.lastSeen,
      trust: k.trust,
      usable: isUsableForEncryption(k, now),
      inUse: k.fingerprint === inUse,
      certifiedBy: k.certifiedBy,
      revocationReason: k.revocationReason,
    })),
    autocrypt: state.autocrypt,
  };
}

function describeHistory(view: ReturnType<typeof historyView>): string {
  const lines: string[] = [];
  if (view.keys.length === 0) lines.push(`${view.address}: no key seen`);
  else if (view.inUse) lines.push(`${view.address}: key in use ${groupedFingerprint(view.inUse)}`);
  else if (view.change)
    lines.push(
      `${view.address}: KEY CHANGED from ${view.change.known ? groupedFingerprint(view.change.known) : 'an earlier key'} to ${groupedFingerprint(view.change.new)}` +
        `${view.change.knownVerified ? ' (the earlier key was verified)' : ''}` +
        `${view.change.successor === 'certified' ? ' (the new key is certified by the earlier one)' : view.change.successor === 'superseded' ? ' (the earlier key was revoked as superseded)' : ''}` +
        `; choose one with "sealpost keys accept ${view.address} FINGERPRINT"`,
    );
  else lines.push(`${view.address}: no usable key`);
  if (view.accepted)
    lines.push(`accepted ${view.accepted.at.slice(0, 10)} (${view.accepted.how}): ${groupedFingerprint(view.accepted.fingerprint)}`);
  for (const k of view.keys) {
    lines.push(
      `key  ${groupedFingerprint(k.fingerprint)}${k.inUse ? '  [in use]' : ''}${k.usable ? '' : '  [unusable]'}`,
      `     first seen ${k.firstSeen.slice(0, 10)}, last seen ${k.lastSeen.slice(0, 10)}; sources: ${k.sources.join(', ')}; trust: ${k.trust}`,
      ...k.certifiedBy.map((c) => `     certified by ${groupedFingerprint(c)}`),
      ...(k.revocationReason ? [`     revoked: ${k.revocationReason}`] : []),
    );
  }
  const ac = view.autocrypt;
  if (ac) {
    lines.push(
      `autocrypt: last seen ${ac.lastSeen?.slice(0, 10) ?? 'never'}; header key ${ac.fingerprint ? groupedFingerprint(ac.fingerprint) : 'none'}` +
        `${ac.autocryptTimestamp ? ` (${ac.autocryptTimestamp.slice(0, 10)})` : ''}; prefer-encrypt ${ac.preferEncrypt}` +
        `${ac.gossipFingerprint ? `; gossip key ${groupedFingerprint(ac.gossipFingerprint)} (${ac.gossipTimestamp?.slice(0, 10) ?? ''})` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Groups of four hex digits, as people compare fingerprints aloud. */
export function groupedFingerprint(fpr: string): string {
  return fpr.replace(/(.{4})/g, '$1 ').trim();
}

function describeKey(k: KeySummary): string {
  const flags = [k.canSign ? 'S' : '', k.canEncrypt ? 'E' : ''].join('');
  const state = k.revoked
    ? ' [revoked]'
    : k.expires && Date.parse(k.expires) < Date.now()
      ? ` [expired ${k.expires.slice(0, 10)}]`
      : k.expires
        ? ` [expires ${k.expires.slice(0, 10)}]`
        : '';
  const lines = [
    `${k.hasSecret ? 'sec' : 'pub'}  ${k.algorithm} ${k.created.slice(0, 10)} [${flags || '-'}]${state}  trust: ${k.trust}`,
    `     ${groupedFingerprint(k.fingerprint)}`,
    ...k.userIds.map((u) => `uid  ${u}`),
  ];
  for (const s of k.subkeys ?? []) {
    const sflags = [s.canSign ? 'S' : '', s.canEncrypt ? 'E' : ''].join('') || '-';
    const sstate = s.revoked ? ' [revoked]' : s.expires ? ` [expires ${s.expires.slice(0, 10)}]` : '';
    lines.push(`${s.hasSecret ? 'ssb' : 'sub'}  ${s.algorithm} ${s.created.slice(0, 10)} [${sflags}]${sstate}  ${s.fingerprint}`);
  }
  if (k.subkeys) lines.push(`sources: ${k.sources.join(', ')}`);
  return lines.join('\n');
}

async function printKeys(ctx: CommandContext, keys: KeySummary[] | KeySummary): Promise<void> {
  if (ctx.globals.json) {
    await writeStdout(`${JSON.stringify(keys, null, 2)}\n`);
    return;
  }
  const list = Array.isArray(keys) ? keys : [keys];
  await writeStdout(list.map(describeKey).join('\n\n') + (list.length ? '\n' : ''));
}

async function passphrase(ctx: CommandContext, prompt: string): Promise<string | null> {
  if (ctx.globals.passphraseFile) return readPassphraseFile(ctx.globals.passphraseFile);
  return promptHidden(prompt);
}

function one(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new SealpostError('usage', `expected one key (usage: ${usage})`);
  return positionals[0]!;
}

export async function keysCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const k = ctx.keyring;
  if (await keysDiscoveryCommand(ctx, sub, rest)) return;
  switch (sub) {
    case 'generate': {
      const { values } = parseCommand(
        rest,
        {
          name: { type: 'string' },
          email: { type: 'string' },
          algo: { type: 'string', default: 'curve25519' },
          expires: { type: 'string', default: '3y' },
          'no-passphrase': { type: 'boolean' },
        },
        USAGE.generate,
      );
      if (!values.name || !values.email) throw new SealpostError('usage', `--name and --email are required (usage: ${USAGE.generate})`);
      if (values.algo !== 'curve25519' && values.algo !== 'rsa4096')
        throw new SealpostError('usage', `--algo must be curve25519 or rsa4096`);
      if (!/^[^\s@<>]+@[^\s@<>]+$/.test(values.email)) throw new SealpostError('usage', `"${values.email}" is not an email address`);
      const pass = ctx.globals.passphraseFile
        ? await readPassphraseFile(ctx.globals.passphraseFile)
        : await newPassphrase(undefined, values['no-passphrase']);
      const summary = await k.call('keys.generate', {
        name: values.name,
        email: values.email,
        algo: values.algo,
        expiresInSeconds: parseDuration(values.expires),
        passphrase: pass,
      });
      if (ctx.globals.json) await printKeys(ctx, summary);
      else await writeStdout(`${summary.fingerprint}\n`);
      return;
    }
    case 'import': {
      const { positionals } = parseCommand(rest, {}, USAGE.import);
      if (positionals.length === 0) throw new SealpostError('usage', `no file given (usage: ${USAGE.import})`);
      const files = await Promise.all(positionals.map(async (path) => ({ path, data: await readInputFile(path) })));
      const changed: KeySummary[] = [];
      let firstFailure: SealpostError | null = null;
      for (const { path, data } of files) {
        try {
          const outcome = await k.call('keys.import', { data, source: 'file' });
          changed.push(...outcome.changed);
          for (const p of outcome.problems) ctx.warn(`${path}: ${p.message}`);
        } catch (e) {
          if (!(e instanceof SealpostError) || files.length === 1) throw e;
          ctx.warn(`${path}: ${e.message}`);
          firstFailure ??= e;
        }
      }
      if (changed.length === 0 && firstFailure) throw firstFailure;
      if (ctx.globals.json) await printKeys(ctx, changed);
      else for (const s of changed) await writeStdout(`imported ${s.fingerprint} ${s.userIds[0] ?? ''}\n`);
      return;
    }
    case 'list': {
      const { values } = parseCommand(rest, { secret: { type: 'boolean' } }, USAGE.list);
      await printKeys(ctx, await k.call('keys.list', { secret: values.secret ?? false }));
      return;
    }
    case 'show': {
      const { positionals } = parseCommand(rest, {}, USAGE.show);
      await printKeys(ctx, await k.call('keys.show', { query: one(positionals, USAGE.show) }));
      return;
    }
    case 'export': {
      const { values, positionals } = parseCommand(rest, { secret: { type: 'boolean' }, minimal: { type: 'boolean' } }, USAGE.export);
      const { armored } = await k.call('keys.export', {
        query: one(positionals, USAGE.export),
        secret: values.secret ?? false,
        minimal: values.minimal ?? false,
      });
      await writeStdout(armored);
      return;
    }
    case 'delete': {
      const { values, positionals } = parseCommand(rest, { secret: { type: 'boolean' }, yes: { type: 'boolean' } }, USAGE.delete);
      const fpr = one(positionals, USAGE.delete);
      if (!values.yes) throw new SealpostError('usage', `deleting a key needs --yes (usage: ${USAGE.delete})`);
      await k.call('keys.delete', { fingerprint: fpr, secret: values.secret ?? false });
      return;
    }
    case 'trust': {
      const { positionals } = parseCommand(rest, {}, USAGE.trust);
      const [fpr, level] = positionals;
      const trust = Trust.safeParse(level);
      if (positionals.length !== 2 || !fpr || !trust.success) throw new SealpostError('usage', USAGE.trust);
      await printKeys(ctx, await k.call('keys.trust', { fingerprint: fpr, trust: trust.data, how: 'command-line' }));
      return;
    }
    case 'revoke': {
      const { values, positionals } = parseCommand(rest, { reason: { type: 'string' } }, USAGE.revoke);
      const fpr = one(positionals, USAGE.revoke);
      const pass = ctx.globals.passphraseFile || values.reason !== undefined ? await passphrase(ctx, 'Passphrase: ') : null;
      await printKeys(ctx, await k.call('keys.revoke', { fingerprint: fpr, reason: values.reason ?? null, passphrase: pass }));
      return;
    }
    case 'expire': {
      const { values, positionals } = parseCommand(rest, { in: { type: 'string' } }, USAGE.expire);
      const fpr = one(positionals, USAGE.expire);
      if (!values.in) throw new SealpostError('usage', `--in is required (usage: ${USAGE.expire})`);
      const seconds = parseDuration(values.in);
      await printKeys(
        ctx,
        await k.call('keys.expire', { fingerprint: fpr, expiresInSeconds: seconds, passphrase: await passphrase(ctx, 'Passphrase: ') }),
      );
      return;
    }
    case 'passwd': {
      const { values, positionals } = parseCommand(
        rest,
        { 'new-passphrase-file': { type: 'string' }, 'no-passphrase': { type: 'boolean' } },
        USAGE.passwd,
      );
      const fpr = one(positionals, USAGE.passwd);
      const old = await passphrase(ctx, 'Current passphrase: ');
      const next = await newPassphrase(values['new-passphrase-file'], values['no-passphrase']);
      await printKeys(ctx, await k.call('keys.passwd', { fingerprint: fpr, oldPassphrase: old, newPassphrase: next }));
      return;
    }
    case 'add-uid': {
      const { values, positionals } = parseCommand(rest, { uid: { type: 'string' } }, USAGE.adduid);
      const fpr = one(positionals, USAGE.adduid);
      if (!values.uid) throw new SealpostError('usage', `--uid is required (usage: ${USAGE.adduid})`);
      await printKeys(
        ctx,
        await k.call('keys.addUserId', { fingerprint: fpr, userId: values.uid, passphrase: await passphrase(ctx, 'Passphrase: ') }),
      );
      return;
    }
    case 'history': {
      const { positionals } = parseCommand(rest, {}, USAGE.history);
      const address = parseAddress(one(positionals, USAGE.history)).address;
      const view = historyView(await k.call('keys.addressState', { address }));
      await writeStdout(ctx.globals.json ? `${JSON.stringify(view, null, 2)}\n` : describeHistory(view));
      return;
    }
    case 'accept': {
      const { positionals } = parseCommand(rest, {}, USAGE.accept);
      if (positionals.length !== 2) throw new SealpostError('usage', `expected an address and a fingerprint (usage: ${USAGE.accept})`);
      const address = parseAddress(positionals[0]!).address;
      const fingerprint = positionals[1]!.replace(/\s+/g, '').toUpperCase();
      if (!/^[0-9A-F]{40}$|^[0-9A-F]{64}$/.test(fingerprint))
        throw new SealpostError('usage', `the key is named by its whole fingerprint (usage: ${USAGE.accept})`);
      const view = historyView(await k.call('keys.accept', { address, fingerprint }));
      await writeStdout(ctx.globals.json ? `${JSON.stringify(view, null, 2)}\n` : describeHistory(view));
      return;
    }
    case 'setup-message':
      return setupMessageCommand(ctx, rest);
    default:
      throw new SealpostError('usage', `unknown keys command "${sub ?? ''}"; one of: ${Object.values(USAGE).join('; ')}`);
  }
}
