/**
 * Thunderbird's own OpenPGP test messages (test/fixtures/thunderbird), each
 * with the outcome a correct client shows (manifest.json): every case runs
 * through `sealpost inspect` with the key setup of the Thunderbird test that
 * covers it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runSealpost, tempDir, type TempDir } from '../../../support/cli.ts';
import { TB } from '../../../support/fixtures.ts';

interface Case {
  eml: string;
  secretKeys: string[];
  publicKeys: string[];
  passphrase?: string;
  expect: Record<string, unknown>;
  expectNot?: Record<string, unknown[]>;
  expectTextContains?: string;
  basis: string;
}

const cases = JSON.parse(readFileSync(join(TB, 'manifest.json'), 'utf8')) as Case[];

function at(report: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), report);
}

test(`the manifest has all ${cases.length} cases`, () => {
  assert.equal(cases.length, 81);
});

/**
 * A profile with the keys of a case, imported once per key setup: each case
 * then starts from a copy of it, so that nothing one case's reading records
 * (Autocrypt state, keys seen) reaches another.
 */
const profiles = new Map<string, Promise<string>>();
const madeDirs: TempDir[] = [];
after(async () => {
  for (const d of madeDirs.splice(0)) await d.cleanup();
});
function profileWith(keys: string[]): Promise<string> {
  const id = keys.join('\n');
  let made = profiles.get(id);
  if (!made) {
    made = (async () => {
      const dir = await tempDir('sealpost-corpus-keys-');
      madeDirs.push(dir);
      const imported = await runSealpost(['keys', 'import', ...keys], { home: dir.path });
      assert.equal(imported.code, 0, imported.stderr);
      return dir.path;
    })();
    profiles.set(id, made);
  }
  return made;
}

for (const c of cases) {
  test(c.eml, { timeout: 60_000 }, async () => {
    const dir = await tempDir('sealpost-corpus-');
    try {
      const keys = [...c.secretKeys, ...c.publicKeys].map((k) => join(TB, k));
      if (keys.length > 0) cpSync(await profileWith(keys), dir.path, { recursive: true });
      const args = ['inspect', join(TB, c.eml), '--json'];
      if (c.passphrase) {
        writeFileSync(join(dir.path, 'pass'), c.passphrase);
        args.unshift('--passphrase-file', join(dir.path, 'pass'));
      }
      const r = await runSealpost(args, { home: dir.path });
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout.toString('utf8'));
      for (const [path, value] of Object.entries(c.expect)) {
        if (path === 'warnings') {
          const codes = report.warnings.map((w: { code: string }) => w.code);
          for (const code of value as string[])
            assert.ok(codes.includes(code), `warning ${code} expected, got ${codes.join(', ')} (${c.basis})`);
        } else {
          assert.deepEqual(at(report, path), value, `${path} (${c.basis})`);
        }
      }
      for (const [path, values] of Object.entries(c.expectNot ?? {})) {
        assert.ok(!values.includes(at(report, path)), `${path} must not be ${String(at(report, path))} (${c.basis})`);
      }
      if (c.expectTextContains)
        assert.ok(report.text.includes(c.expectTextContains), `text contains "${c.expectTextContains}": ${report.text.slice(0, 300)}`);
      // Nothing that failed integrity protection is shown.
      if (report.encryption.status === 'failed') assert.equal(report.text.trim(), '', 'no plaintext from failed decryption');
    } finally {
      await dir.cleanup();
    }
  });
}
