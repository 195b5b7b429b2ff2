import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileIfExists, writeFileAtomic, writeFileDurably } from '../../../app/node/atomic-file.ts';

const MODULE = fileURLToPath(new URL('../../../app/node/atomic-file.ts', import.meta.url));

test('writeFileAtomic replaces the content, private by default, and leaves no temporary file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-atomic-'));
  try {
    const path = join(dir, 'new', 'file.json');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, 'two');
    assert.equal(await readFile(path, 'utf8'), 'two');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'new'))).mode & 0o777, 0o700);
    assert.deepEqual(await readdir(join(dir, 'new')), ['file.json']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a failed write leaves the old content and no temporary file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-atomic-'));
  try {
    const path = join(dir, 'file');
    await writeFileAtomic(path, 'old');
    // A folder in the way of the rename makes it fail after the temp file was written.
    const blocked = join(dir, 'blocked');
    await writeFileAtomic(join(blocked, 'inside'), 'x');
    await assert.rejects(writeFileAtomic(blocked, 'new'));
    assert.deepEqual((await readdir(dir)).sort(), ['blocked', 'file']);
    assert.equal(await readFile(path, 'utf8'), 'old');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a process killed while writing again and again leaves the old or the new content, never a mix', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-atomic-'));
  try {
    const path = join(dir, 'file');
    const a = 'A'.repeat(256 * 1024);
    const b = 'B'.repeat(256 * 1024);
    await writeFileAtomic(path, a);
    const script = `
import { writeFileAtomic } from ${JSON.stringify(MODULE)};
const [path] = process.argv.slice(-1);
const a = 'A'.repeat(256 * 1024), b = 'B'.repeat(256 * 1024);
process.stdout.write('go\\n');
for (let i = 0; ; i++) await writeFileAtomic(path, i % 2 ? a : b);
`;
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
      const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
      try {
        await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
        await new Promise((resolve) => setTimeout(resolve, 50 + round * 37));
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
      } finally {
        clearTimeout(guard);
      }
      const content = await readFile(path, 'utf8');
      assert.ok(content === a || content === b, `round ${round}: a mixed or partial file (${content.length} bytes)`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeFileDurably never overwrites; readFileIfExists gives null only for a missing file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-atomic-'));
  try {
    const path = join(dir, 'f');
    await writeFileDurably(path, 'x');
    await assert.rejects(writeFileDurably(path, 'y'), { code: 'EEXIST' });
    assert.equal((await readFileIfExists(path))?.toString(), 'x');
    assert.equal(await readFileIfExists(join(dir, 'missing')), null);
    await writeFile(join(dir, 'd'), '');
    await assert.rejects(readFileIfExists(join(dir, 'd', 'under')), { code: 'ENOTDIR' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
