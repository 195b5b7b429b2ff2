/**
 * Properties of reading a message with a real keyring (inspectMessage,
 * main/pgp-mime/read/inspect.ts, over the keyring worker with the corpus'
 * secret keys unlocked): for the Thunderbird corpus with bytes and lines
 * mutated, the reader never throws anything but a registry error, never
 * hangs, always makes a report of the contract's shape, and never shows
 * content as decrypted without integrity protection.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InspectReport } from '../../../../app/inspect-report.ts';
import { startKeyringWorker, type RunningKeyring } from '../../../../main/keyring-host/worker-keyring.ts';
import { inspectMessage } from '../../../../main/pgp-mime/read/inspect.ts';
import { assertRegistryError, fuzzParams, lineMutatedOf, mutatedOf, withinDeadline } from '../../../support/arbitraries.ts';

interface Entry {
  eml: string;
  secretKeys?: string[];
  publicKeys?: string[];
  passphrase?: string;
}

const FIXTURES = new URL('../../../fixtures/thunderbird/', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('manifest.json', FIXTURES), 'utf8')) as Entry[];
/** The messages that exercise the keyring: encrypted or signed ones. */
const messages = manifest
  .map((e) => readFileSync(new URL(e.eml, FIXTURES)))
  .filter((raw) => /-----BEGIN PGP|application\/pgp-(encrypted|signature)/i.test(raw.toString('latin1')));

let home: string;
let keyring: RunningKeyring;
let passphrases: string[];

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'sealpost-inspect-fuzz-'));
  keyring = startKeyringWorker(home);
  const files = [...new Set(manifest.flatMap((e) => [...(e.secretKeys ?? []), ...(e.publicKeys ?? [])]))];
  for (const file of files) {
    // Some corpus keys are refused on purpose (revoked, broken); what imports is enough.
    await keyring.client.call('keys.import', { data: readFileSync(new URL(file, FIXTURES)), source: 'file' }).catch(() => undefined);
  }
  passphrases = [...new Set(manifest.flatMap((e) => (e.passphrase ? [e.passphrase] : [])))];
});

after(async () => {
  await keyring?.close();
  rmSync(home, { recursive: true, force: true });
});

test('the corpus, mutated: a report of the contract or a registry error, within a deadline, never plaintext without integrity', async () => {
  assert.ok(messages.length >= 20, `the corpus' PGP messages (${messages.length})`);
  let decrypted = 0;
  await fc.assert(
    fc.asyncProperty(fc.oneof(mutatedOf(messages, 3), lineMutatedOf(messages)), async (raw) => {
      let report: InspectReport;
      try {
        report = await withinDeadline(20_000, 'inspectMessage', () => inspectMessage(raw, keyring.client, { keyPasswords: passphrases }));
      } catch (e) {
        assertRegistryError(e);
        return;
      }
      const checked = InspectReport.safeParse(report);
      assert.ok(checked.success, checked.success ? '' : checked.error.message);
      if (report.encryption.status === 'decrypted') {
        decrypted++;
        assert.notEqual(report.encryption.integrity, null, 'decrypted without integrity protection');
      }
      if (report.encryption.status === 'failed') assert.ok(report.warnings.length > 0, 'a failure says why');
    }),
    fuzzParams(40),
  );
  // The mutations leave many messages readable: the property is about reading, not only refusing.
  assert.ok(decrypted > 0, 'some mutated messages still decrypted');
});
