/**
 * The error registry (app/errors.ts): each code's details schema, the
 * constructor that checks them, the wire schema, and (checked by tsc, which
 * covers test/) that details of the wrong shape or an unknown code do not
 * compile where errors are made or read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { AppErrorSchema, ERRORS, ERROR_CODES, ErrorCodeSchema, ioDetails, SealpostError, type ErrorCode } from '../../app/errors.ts';
import type { ProcedureOutput } from '../../app/ipc/contract.ts';
import type { DraftUploadFailure } from '../../main/sync/upload-drafts.ts';
import type { UiError } from '../../renderer/src/lib/outcome.ts';

const V4 = '0123456789ABCDEF0123456789ABCDEF01234567';
const V6 = 'F'.repeat(64);

/** For every code: details its schema takes, and details it refuses (an empty list: the code takes every value of `valid`). */
const CASES: { [C in ErrorCode]?: { valid: unknown[]; invalid: unknown[] } } = {
  'key-passphrase-required': {
    valid: [{ fingerprints: [V4] }, { fingerprints: [V4, V6] }, { fingerprints: [] }],
    invalid: [
      {},
      { fingerprints: [V4.toLowerCase()] },
      { fingerprints: ['ABCD'] },
      { fingerprint: V4 },
      { fingerprints: [V4], extra: true },
    ],
  },
  'key-wrong-passphrase': { valid: [{}, { fingerprint: V6 }], invalid: [{ fingerprint: 'x' }, { fingerprints: [V4] }] },
  'key-ambiguous': {
    valid: [{ query: 'alice', fingerprints: [V4, V6] }],
    invalid: [{ query: 'alice', fingerprints: [V4] }, { fingerprints: [V4, V6] }, { query: 'x'.repeat(1001), fingerprints: [V4, V6] }],
  },
  'key-unusable-recipient': {
    valid: [
      { fingerprint: V4, reason: 'revoked' },
      { fingerprint: V4, reason: 'expired' },
      { fingerprint: V4, reason: 'no-encryption-subkey' },
    ],
    invalid: [{ fingerprint: V4 }, { fingerprint: V4, reason: 'stolen' }],
  },
  'compose-no-key': {
    valid: [{ addresses: ['bob@example.org'] }, { addresses: ['bob@example.org', 'carol@example.org'] }],
    invalid: [{}, { addresses: [] }, { addresses: [''] }, { addresses: ['x'.repeat(321)] }],
  },
  'file-not-found': { valid: [{ path: '/tmp/key.asc' }], invalid: [{}, { path: '' }, { path: 'x'.repeat(4097) }] },
  io: {
    valid: [{}, { path: '/tmp/a' }, { errno: 'ENOSPC' }, { path: '/a', errno: 'EACCES' }],
    invalid: [{ errno: 'no space' }, { path: '' }],
  },
  'network-auth-failed': {
    valid: [
      {},
      { protocol: 'IMAP', host: 'imap.example.org', port: 993, imap: { status: 'NO', responseCode: 'AUTHENTICATIONFAILED' } },
      { protocol: 'SMTP', host: '::1', port: 587, smtp: { reply: 535, enhanced: '5.7.8', command: 'AUTH' } },
    ],
    invalid: [
      { port: 70000 },
      { protocol: 'POP3' },
      { imap: { responseCode: 'authenticationfailed' } },
      { imap: { status: 'OK' } },
      { smtp: { reply: 199 } },
      { smtp: { reply: 550, enhanced: '5.7' } },
      { smtp: { reply: 550, enhanced: '6.1.1' } },
      { smtp: { reply: 550, response: 'x'.repeat(513) } },
      { smtp: { reply: 550, command: 'rcpt to' } },
      { smtp: { enhanced: '5.1.1' } },
    ],
  },
  'network-rejected': {
    valid: [
      { smtp: { reply: 550, enhanced: '5.1.1', response: '550 5.1.1 <bob@example.org>: Recipient address rejected', command: 'RCPT' } },
    ],
    invalid: [{ smtp: { reply: 550, extra: 1 } }],
  },
  'outbox-wrong-state': {
    valid: [{ id: 3, state: 'sent', expected: ['queued', 'failed'] }],
    invalid: [
      { id: 3, state: 'sent', expected: [] },
      { id: -1, state: 'sent', expected: ['queued'] },
    ],
  },
  'account-has-unsent': { valid: [{ outbox: 1, drafts: 0 }], invalid: [{ outbox: 1 }, { outbox: -1, drafts: 0 }] },
  'store-newer-schema': { valid: [{ version: 9, supported: 8 }], invalid: [{ version: 0, supported: 8 }] },
  'keyring-busy': { valid: [{}, { pid: 4242 }], invalid: [{ pid: 0 }, { pid: 1.5 }] },
};

test('every code has a text, an exit code and a strict details schema', () => {
  for (const code of ERROR_CODES) {
    const spec = ERRORS[code];
    assert.ok(spec.text.length > 0, code);
    assert.ok(spec.details instanceof z.ZodType, code);
    // Strict: a field the registry does not name is refused, so a typo in a throw site cannot pass.
    assert.equal(spec.details.safeParse({ notAField: 1 }).success, false, code);
  }
});

test('each code’s details: what its schema takes and what it refuses', () => {
  for (const [code, { valid, invalid }] of Object.entries(CASES) as [ErrorCode, { valid: unknown[]; invalid: unknown[] }][]) {
    for (const v of valid) assert.equal(ERRORS[code].details.safeParse(v).success, true, `${code} takes ${JSON.stringify(v)}`);
    for (const v of invalid) assert.equal(ERRORS[code].details.safeParse(v).success, false, `${code} refuses ${JSON.stringify(v)}`);
  }
  // The codes that carry nothing take only the empty object.
  for (const code of ['usage', 'internal', 'crypto-no-key', 'crypto-malformed', 'store-busy'] as const) {
    assert.equal(ERRORS[code].details.safeParse({}).success, true, code);
    assert.equal(ERRORS[code].details.safeParse({ fingerprints: [V4] }).success, false, code);
    assert.equal(ERRORS[code].details.safeParse(null).success, false, code);
  }
});

test('an error holds the details it was made with, checked; the message is the registry text and the detail', () => {
  const e = new SealpostError('key-passphrase-required', `for key ${V4}`, { fingerprints: [V4] });
  assert.deepEqual(e.details, { fingerprints: [V4] });
  assert.equal(e.message, `A passphrase is needed to unlock the secret key: for key ${V4}`);
  assert.deepEqual(e.toAppError(), {
    code: 'key-passphrase-required',
    message: e.message,
    retryable: false,
    details: { fingerprints: [V4] },
  });
  assert.deepEqual(new SealpostError('usage').details, {});
  assert.deepEqual(new SealpostError('keyring-busy', 'held').details, {});
  const generic: SealpostError = e;
  assert.equal(generic.is('key-passphrase-required') && generic.details.fingerprints[0], V4);
  assert.equal(generic.is('key-wrong-passphrase'), false);
});

test('details of the wrong shape do not compile, and are refused at run time too', () => {
  // @ts-expect-error: the keys are named as a list, `fingerprints`
  assert.throws(() => new SealpostError('key-passphrase-required', 'x', { fingerprint: V4 }), TypeError);
  // @ts-expect-error: compose-no-key names the addresses without a usable key
  assert.throws(() => new SealpostError('compose-no-key', 'x'), TypeError);
  // @ts-expect-error: a code without details takes none
  assert.throws(() => new SealpostError('usage', 'x', { path: '/tmp' }), TypeError);
  // @ts-expect-error: an SMTP reply code is a number
  assert.throws(() => new SealpostError('network-rejected', 'x', { smtp: { reply: '550' } }), TypeError);
  // The shape is right but the value is not: only the run-time check can see it.
  assert.throws(() => new SealpostError('key-secret-exists', 'x', { fingerprint: 'abc' }), /details of key-secret-exists/);
  // @ts-expect-error: not a registry code
  assert.throws(() => new SealpostError('key-locked', 'x'));
});

test('codes are the registry’s union where they are read: import problems, draft upload failures, the renderer’s errors', () => {
  type ImportProblem = ProcedureOutput<'keys.import'>['problems'][number];
  const fine: ImportProblem = { code: 'key-unparseable', message: 'x' };
  // @ts-expect-error: misspelt
  const misspelt: ImportProblem = { code: 'key-unparsable', message: 'x' };
  // @ts-expect-error: not a code
  const failure: DraftUploadFailure = { draftId: 1, code: 'network-down', message: 'x' };
  const shown: UiError = {
    code: 'compose-no-key',
    details: { addresses: ['b@example.org'] },
    summary: '',
    message: '',
    detail: '',
    retryable: false,
  };
  // @ts-expect-error: the details of another code
  const wrong: UiError = { code: 'compose-no-key', details: { fingerprints: [] }, summary: '', message: '', detail: '', retryable: false };
  assert.deepEqual(
    [fine.code, misspelt.code, failure.code, shown.code, wrong.code],
    ['key-unparseable', 'key-unparsable', 'network-down', 'compose-no-key', 'compose-no-key'],
  );
  assert.equal(ErrorCodeSchema.safeParse('key-unparsable').success, false);
  assert.equal(ErrorCodeSchema.safeParse('key-unparseable').success, true);
});

test('the wire schema: a registry code and details of that code’s shape, nothing else', () => {
  const good = new SealpostError('compose-no-key', 'bob@example.org (no key)', { addresses: ['bob@example.org'] }).toAppError();
  assert.deepEqual(AppErrorSchema.parse(JSON.parse(JSON.stringify(good))), good);
  const refused = [
    { ...good, details: { addresses: [] } },
    { ...good, details: undefined },
    { code: 'compose-no-key', message: 'x', retryable: false },
    { ...good, code: 'no-such-code' },
    { ...good, extra: 1 },
    { ...good, message: 'x'.repeat(8193) },
    null,
  ];
  for (const value of refused) assert.equal(AppErrorSchema.safeParse(value).success, false, JSON.stringify(value));
  const issue = AppErrorSchema.safeParse({ ...good, details: { addresses: [''] } });
  assert.equal(issue.success, false);
  assert.deepEqual(issue.error.issues[0]!.path, ['details', 'addresses', 0]);
});

test('an error received as a value is thrown again with its code, message and details', () => {
  const sent = new SealpostError('key-ambiguous', 'alice matches two', { query: 'alice', fingerprints: [V4, V6] }).toAppError();
  const again = SealpostError.from(AppErrorSchema.parse(sent));
  assert.ok(again instanceof SealpostError);
  assert.deepEqual(again.toAppError(), sent);
});

test('ioDetails: the path and the system’s code when it is one', () => {
  assert.deepEqual(ioDetails('/tmp/x', Object.assign(new Error('no'), { code: 'ENOSPC' })), { path: '/tmp/x', errno: 'ENOSPC' });
  assert.deepEqual(ioDetails('/tmp/x', new Error('no code')), { path: '/tmp/x' });
  assert.deepEqual(ioDetails(null, { code: 'not an errno!' }), {});
  assert.equal(ioDetails('x'.repeat(5000)).path!.length, 4096);
});
