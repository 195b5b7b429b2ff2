// The Web Key Directory export: each hu/ file holds, per key, only the user
// ids of the address it is looked up by (draft-koch-openpgp-webkey-service
// section 3.1), as GnuPG reads the file; keys made by GnuPG with several
// addresses, in the domain and outside it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isSealpostError } from '../../../app/errors.ts';
import { tempDir, type TempDir } from '../../support/cli.ts';
import { gpgExport, gpgMakeKey, type GpgKey } from '../../support/keyservers.ts';
import { exportWkd } from '../../../main/discovery/wkd-export.ts';
import { wkdHash } from '../../../main/discovery/wkd.ts';
import { startKeyringWorker, type RunningKeyring } from '../../../main/keyring-host/worker-keyring.ts';

let dir: TempDir;
let gnupg: string;
let keyring: RunningKeyring;
let ann: GpgKey;
let annOther: GpgKey;

const gpg = (args: string[], input?: Buffer | string): string =>
  execFileSync('gpg', ['--homedir', gnupg, '--batch', '--no-tty', '--quiet', ...args], {
    input,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 60_000,
  });

/** What GnuPG reads in a binary WKD file (nothing imported): per key its fingerprint and user ids. */
function gpgReads(file: string): Array<{ fpr: string; uids: string[] }> {
  const colons = gpg(['--with-colons', '--import-options', 'show-only', '--import'], readFileSync(file));
  const out: Array<{ fpr: string; uids: string[] }> = [];
  let primary = false;
  for (const line of colons.split('\n')) {
    const f = line.split(':');
    if (f[0] === 'pub') {
      out.push({ fpr: '', uids: [] });
      primary = true;
    } else if (f[0] === 'sub') primary = false;
    else if (f[0] === 'fpr' && primary && out.at(-1)!.fpr === '') out.at(-1)!.fpr = f[9]!;
    else if (f[0] === 'uid') out.at(-1)!.uids.push(f[9]!);
  }
  return out;
}

before(
  async () => {
    dir = await tempDir('sealpost-wkd-export-');
    gnupg = join(dir.path, 'gnupg');
    mkdirSync(gnupg, { mode: 0o700 });
    ann = gpgMakeKey(gnupg, 'Ann <ann@example.org>');
    gpg(['--quick-add-uid', ann.fpr, 'Ann at work <ann.work@Example.ORG>']);
    gpg(['--quick-add-uid', ann.fpr, 'Ann elsewhere <ann@elsewhere.net>']);
    annOther = gpgMakeKey(gnupg, 'Ann Again <ann@example.org>');
    keyring = startKeyringWorker(join(dir.path, 'profile'));
    const data = Buffer.from(gpgExport(gnupg, ann.fpr) + gpgExport(gnupg, annOther.fpr), 'utf8');
    const imported = await keyring.client.call('keys.import', { data, source: 'file' });
    assert.equal(imported.problems.length, 0, JSON.stringify(imported.problems));
  },
  { timeout: 120_000 },
);

after(async () => {
  await keyring?.close();
  await dir?.cleanup();
});

test('each file holds only the user id of its address: two addresses in the domain, two files', { timeout: 60_000 }, async () => {
  const out = join(dir.path, 'tree');
  const written = await exportWkd(keyring.client, { fingerprints: [ann.fpr, annOther.fpr], domain: 'example.org', out });
  const folder = join(out, '.well-known', 'openpgpkey', 'example.org');
  const annFile = join(folder, 'hu', wkdHash('ann'));
  const workFile = join(folder, 'hu', wkdHash('ann.work'));
  assert.deepEqual(written, [...[annFile, workFile].sort(), join(folder, 'policy')]);
  assert.deepEqual(readdirSync(join(folder, 'hu')).sort(), [wkdHash('ann'), wkdHash('ann.work')].sort());

  // Both keys of ann@, one after the other, each with that user id alone: not the work address, not the other domain.
  assert.deepEqual(gpgReads(annFile), [
    { fpr: ann.fpr, uids: ['Ann <ann@example.org>'] },
    { fpr: annOther.fpr, uids: ['Ann Again <ann@example.org>'] },
  ]);
  assert.deepEqual(gpgReads(workFile), [{ fpr: ann.fpr, uids: ['Ann at work <ann.work@Example.ORG>'] }]);

  // The cut key still works for who looks it up: the keyring reads it as a key that can encrypt, with the one address.
  const inspected = await keyring.client.call('keys.inspect', { data: readFileSync(workFile), source: 'wkd' });
  assert.equal(inspected.keys.length, 1);
  assert.deepEqual(inspected.keys[0]!.emails, ['ann.work@example.org']);
  assert.equal(inspected.keys[0]!.canEncrypt, true);

  // The other domain's directory has only its own user id.
  const elsewhere = join(dir.path, 'elsewhere');
  await exportWkd(keyring.client, { fingerprints: [ann.fpr], domain: 'elsewhere.net', out: elsewhere, method: 'direct' });
  assert.deepEqual(gpgReads(join(elsewhere, '.well-known', 'openpgpkey', 'hu', wkdHash('ann'))), [
    { fpr: ann.fpr, uids: ['Ann elsewhere <ann@elsewhere.net>'] },
  ]);
});

test('keys.export onlyUserIdsOf: an address the key lacks, or a secret export, is refused', async () => {
  await assert.rejects(
    keyring.client.call('keys.export', { query: ann.fpr, secret: false, minimal: false, onlyUserIdsOf: 'bob@example.org' }),
    (e) => isSealpostError(e) && e.code === 'bad-input' && e.message.includes('bob@example.org'),
  );
  await assert.rejects(
    keyring.client.call('keys.export', { query: ann.fpr, secret: true, minimal: false, onlyUserIdsOf: 'ann@example.org' }),
    (e) => isSealpostError(e) && e.code === 'bad-input',
  );
  // The address is matched as a mailbox (case, as app/address.ts compares), and the whole key is still there unfiltered.
  const { armored } = await keyring.client.call('keys.export', {
    query: ann.fpr,
    secret: false,
    minimal: false,
    onlyUserIdsOf: 'ANN.WORK@example.org',
  });
  const cut = await keyring.client.call('keys.inspect', { data: Buffer.from(armored, 'utf8'), source: 'file' });
  assert.deepEqual(cut.keys[0]!.userIds, ['Ann at work <ann.work@Example.ORG>']);
  const whole = await keyring.client.call('keys.show', { query: ann.fpr });
  assert.equal(whole.userIds.length, 3);
});
