import { SealpostError } from '../../app/errors.ts';
import type { InspectReport } from '../../app/inspect-report.ts';
import { inspectMessage } from '../pgp-mime/read/inspect.ts';
import { parseCommand } from './args.ts';
import { readInputFile, readPassphraseFile, writeStdout } from './io.ts';
import type { CommandContext } from './keys-command.ts';

const USAGE = 'inspect FILE.eml [--json]';

export function describeReport(report: InspectReport): string {
  const lines: string[] = [];
  const who = (a: { name: string; address: string } | null) => (a ? (a.name ? `${a.name} <${a.address}>` : a.address) : '(none)');
  lines.push(`From:       ${who(report.from)}`);
  lines.push(`Subject:    ${report.subject}`);
  const enc = report.encryption;
  lines.push(`Encryption: ${enc.status}${enc.integrity ? ` (${enc.integrity})` : ''}${enc.protectedHeaders ? ', protected headers' : ''}`);
  const sig = report.signature;
  const signer = sig.signer ? ` by ${sig.signer.userIds[0] ?? ''} (${sig.signer.fingerprint})` : '';
  lines.push(
    `Signature:  ${sig.status}${signer}${sig.status === 'valid' && !sig.signerMatchesFrom ? ' - the signer is not the sender' : ''}`,
  );
  for (const w of report.warnings) lines.push(`Warning:    ${w.message}`);
  for (const a of report.attachments) lines.push(`Attachment: ${a.filename} (${a.contentType}, ${a.size} bytes)`);
  for (const k of report.keys) lines.push(`Key:        ${k.fingerprint} (${k.source})`);
  lines.push('', report.text);
  return lines.join('\n');
}

/** `sealpost inspect`: the reader view's security analysis, scriptable. */
export async function inspectCommand(ctx: CommandContext, args: string[]): Promise<void> {
  const { positionals } = parseCommand(args, {}, USAGE);
  if (positionals.length !== 1) throw new SealpostError('usage', `expected one message file (usage: ${USAGE})`);
  const raw = await readInputFile(positionals[0]!);
  const keyPasswords = ctx.globals.passphraseFile ? [await readPassphraseFile(ctx.globals.passphraseFile)] : [];
  const report = await inspectMessage(raw, ctx.keyring, { keyPasswords });
  await writeStdout(ctx.globals.json ? `${JSON.stringify(report, null, 2)}\n` : `${describeReport(report)}\n`);
}
