import { readFile, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { once } from 'node:events';
import { ioDetails, SealpostError } from '../../app/errors.ts';

/** Read a named file; a missing one is the contract's "file not found" (exit 66), never a stack trace. */
export async function readInputFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SealpostError('file-not-found', path, { path: path.slice(0, 4096) || '.' });
    if (code === 'EISDIR') throw new SealpostError('bad-input', `${path} is a folder`);
    throw new SealpostError('io', `${path}: ${code ?? 'read failed'}`, ioDetails(path, e));
  }
}

/** A passphrase from a file: the first line, without its line ending (as GnuPG's --passphrase-file). */
export async function readPassphraseFile(path: string): Promise<string> {
  const text = (await readInputFile(path)).toString('utf8');
  return text.replace(/\r?\n[\s\S]*$/, '');
}

export function stdinStream(): ReadableStream<Uint8Array> {
  return Readable.toWeb(process.stdin);
}

/** Write a stream to a Node writable (stdout, a file), honouring backpressure. */
export async function writeStream(stream: ReadableStream<Uint8Array>, out: NodeJS.WritableStream): Promise<void> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (!out.write(value)) await once(out, 'drain');
    }
  } finally {
    reader.releaseLock();
  }
}

export async function writeStdout(data: string | Uint8Array): Promise<void> {
  if (!process.stdout.write(data)) await once(process.stdout, 'drain');
}

/** Ask for a passphrase on the terminal without echoing it. Null when there is no terminal. */
export async function promptHidden(question: string): Promise<string | null> {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return null;
  process.stderr.write(question);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  let answer = '';
  try {
    for await (const chunk of stdin) {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n') return answer;
        if (ch === '\u0003') throw new SealpostError('usage', 'cancelled');
        if (ch === '\u007f') answer = answer.slice(0, -1);
        else answer += ch;
      }
    }
    return answer;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    const h = await open(path, 'r');
    await h.close();
    return true;
  } catch {
    return false;
  }
}

/** A new passphrase: none with `--no-passphrase`, from a file, or typed twice on a terminal (empty: none). */
export async function newPassphrase(file: string | undefined, none: boolean | undefined): Promise<string | null> {
  if (none) return null;
  if (file) return readPassphraseFile(file);
  const first = await promptHidden('New passphrase: ');
  if (first === null) throw new SealpostError('usage', 'give the passphrase in a file (--passphrase-file), or --no-passphrase');
  const again = await promptHidden('Repeat the passphrase: ');
  if (first !== again) throw new SealpostError('usage', 'the passphrases differ');
  return first === '' ? null : first;
}
