// Atomic and durable writes (app/node/atomic-file.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic, writeFileDurably } from '../../../app/node/atomic-file.ts';

test('writeFileAtomic replaces the file whole, private, with no temporary file left', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-atomic-'));
  try {
    const path = join(dir, 'sub', 'settings.json');
    await writeFileAtomic(path, 'old');
    await writeFileAtomic(path, new Uint8Array([110, 101, 119]));
    assert.equal(await readFile(path, 'utf8'), 'new');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'sub'))).mode & 0o777, 0o700);
    assert.deepEqual(await readdir(join(dir, 'sub')), ['settings.json']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a failed write leaves the old content and no temporary file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-atomic-'));
  try {
    const path = join(dir, 'file');
    await writeFile(path, 'old');
    // A directory where the file should be: the rename fails after the temp file was written.
    await assert.rejects(writeFileAtomic(dir, 'new'));
    assert.equal(await readFile(path, 'utf8'), 'old');
    assert.deepEqual(await readdir(dir), ['file']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeFileDurably never overwrites; readFileIfExists says null only for a missing file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-atomic-'));
  try {
    await writeFileDurably(join(dir, 'a'), 'one');
    await assert.rejects(writeFileDurably(join(dir, 'a'), 'two'), { code: 'EEXIST' });
    assert.equal((await readFileIfExists(join(dir, 'a')))?.toString(), 'one');
    assert.equal(await readFileIfExists(join(dir, 'missing')), null);
    await assert.rejects(readFileIfExists(dir), { code: 'EISDIR' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
