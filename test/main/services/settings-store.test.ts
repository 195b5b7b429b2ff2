// The settings file with the fields added later: the Autocrypt preference
// (prefer-encrypt) and the daily key refresh. They round-trip, a file from
// before them still loads (their defaults), and a bad value is refused with
// the file left as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SETTINGS, type Settings } from '../../../app/mail.ts';
import { SettingsStore } from '../../../main/services/settings-store.ts';

function withProfile(run: (profile: string, store: SettingsStore, warnings: string[]) => Promise<void>) {
  return async () => {
    const profile = mkdtempSync(join(tmpdir(), 'sealpost-settings-store-'));
    const warnings: string[] = [];
    try {
      await run(profile, new SettingsStore({ profile, onWarning: (w) => warnings.push(w) }), warnings);
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  };
}

test('defaults: no preference, key refresh on', () => {
  assert.equal(DEFAULT_SETTINGS.preferEncrypt, 'nopreference');
  assert.equal(DEFAULT_SETTINGS.keyRefresh, true);
});

test(
  'prefer-encrypt and key refresh round-trip through the file',
  withProfile(async (profile, store) => {
    const changed = await store.set({ preferEncrypt: 'mutual', keyRefresh: false });
    assert.deepEqual(changed, { ...DEFAULT_SETTINGS, preferEncrypt: 'mutual', keyRefresh: false });
    const onDisk = JSON.parse(readFileSync(join(profile, 'settings.json'), 'utf8')) as Settings;
    assert.equal(onDisk.preferEncrypt, 'mutual');
    assert.equal(onDisk.keyRefresh, false);
    assert.deepEqual(await new SettingsStore({ profile }).get(), changed, 'read back by another store');
    assert.deepEqual(await store.set({ preferEncrypt: 'nopreference' }), { ...changed, preferEncrypt: 'nopreference' });
  }),
);

test(
  'a settings file from before these fields loads, with their defaults, and keeps its own values',
  withProfile(async (profile, store, warnings) => {
    const old = {
      encrypt: 'always',
      sign: false,
      unlockMinutes: 10,
      remoteContent: 'never',
      theme: 'dark',
      notifications: false,
    };
    writeFileSync(join(profile, 'settings.json'), `${JSON.stringify(old, null, 2)}\n`);
    assert.deepEqual(await store.get(), { ...old, preferEncrypt: 'nopreference', keyRefresh: true });
    assert.deepEqual(warnings, [], 'not damaged');
    // Saving one of the new settings keeps the old ones.
    assert.deepEqual(await store.set({ preferEncrypt: 'mutual' }), { ...old, preferEncrypt: 'mutual', keyRefresh: true });
  }),
);

test(
  'a value the schema does not know is refused and changes nothing',
  withProfile(async (profile, store) => {
    await store.set({ preferEncrypt: 'mutual' });
    const before = readFileSync(join(profile, 'settings.json'), 'utf8');
    await assert.rejects(store.set({ preferEncrypt: 'always' as never }));
    await assert.rejects(store.set({ keyRefresh: 'yes' as never }));
    assert.equal(readFileSync(join(profile, 'settings.json'), 'utf8'), before);
    // A file with a bad value is damage: the defaults are used, and the file stays.
    writeFileSync(join(profile, 'settings.json'), '{"preferEncrypt": "sometimes"}');
    const warnings: string[] = [];
    assert.deepEqual(await new SettingsStore({ profile, onWarning: (w) => warnings.push(w) }).get(), DEFAULT_SETTINGS);
    assert.equal(warnings.length, 1);
    assert.equal(readFileSync(join(profile, 'settings.json'), 'utf8'), '{"preferEncrypt": "sometimes"}');
  }),
);
