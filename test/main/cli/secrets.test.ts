import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractGlobals } from '../../../main/cli/args.ts';
import { secretsPassphrase, SECRETS_PASSPHRASE_ENV } from '../../../main/cli/secrets.ts';
import type { CommandContext } from '../../../main/cli/keys-command.ts';

function context(argv: string[]): CommandContext {
  // secretsPassphrase reads only the globals; a keyring that is touched fails the test.
  const keyring = new Proxy({} as CommandContext['keyring'], {
    get: () => assert.fail('the store passphrase needs no keyring'),
  });
  return { keyring, globals: extractGlobals(argv).globals, warn: () => undefined };
}

async function withEnv<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env[SECRETS_PASSPHRASE_ENV];
  if (value === undefined) delete process.env[SECRETS_PASSPHRASE_ENV];
  else process.env[SECRETS_PASSPHRASE_ENV] = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env[SECRETS_PASSPHRASE_ENV];
    else process.env[SECRETS_PASSPHRASE_ENV] = saved;
  }
}

test('the store passphrase: --store-passphrase-file first, then the environment; --passphrase-file is never it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sealpost-secrets-'));
  try {
    const store = join(dir, 'store.txt');
    const key = join(dir, 'key.txt');
    await writeFile(store, 'store secret\nignored second line\n');
    await writeFile(key, 'key secret\n');
    await withEnv('from env', async () => {
      assert.equal(await secretsPassphrase(context(['--store-passphrase-file', store, '--passphrase-file', key, 'sync'])), 'store secret');
      assert.equal(await secretsPassphrase(context(['--passphrase-file', key, 'sync'])), 'from env');
    });
    // No terminal under the test runner: without the flag or the variable it is a usage error naming both.
    await withEnv(undefined, async () => {
      await assert.rejects(secretsPassphrase(context(['--passphrase-file', key, 'account', 'add'])), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'usage');
        assert.match(e.message, /--store-passphrase-file FILE/);
        assert.match(e.message, new RegExp(SECRETS_PASSPHRASE_ENV));
        return true;
      });
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
