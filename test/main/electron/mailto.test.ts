import { test } from 'node:test';
import assert from 'node:assert/strict';
import { events } from '../../../app/ipc/contract.ts';
import {
  MAX_BODY_LENGTH,
  MAX_MAILTO_LENGTH,
  MAX_RECIPIENTS,
  MAX_SUBJECT_LENGTH,
  mailtoArguments,
  parseMailto,
  percentDecode,
  plainAddress,
} from '../../../main/electron/mailto.ts';

const empty = { to: [], cc: [], bcc: [], subject: '', body: '' };

/** Every result must be a valid compose.open payload. */
function parsed(url: unknown) {
  const request = parseMailto(url);
  if (request) events['compose.open'].parse(request);
  return request;
}

test('RFC 6068 examples', () => {
  assert.deepEqual(parsed('mailto:chris@example.com'), { ...empty, to: ['chris@example.com'] });
  assert.deepEqual(parsed('mailto:infobot@example.com?subject=current-issue'), {
    ...empty,
    to: ['infobot@example.com'],
    subject: 'current-issue',
  });
  assert.deepEqual(parsed('mailto:infobot@example.com?body=send%20current-issue'), {
    ...empty,
    to: ['infobot@example.com'],
    body: 'send current-issue',
  });
  assert.deepEqual(parsed('mailto:infobot@example.com?body=send%20current-issue%0D%0Asend%20index'), {
    ...empty,
    to: ['infobot@example.com'],
    body: 'send current-issue\nsend index',
  });
  assert.deepEqual(
    parsed('mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E'),
    { ...empty, to: ['list@example.org'] },
    'unknown fields are ignored',
  );
  assert.deepEqual(parsed('mailto:joe@example.com?cc=bob@example.com&body=hello'), {
    ...empty,
    to: ['joe@example.com'],
    cc: ['bob@example.com'],
    body: 'hello',
  });
  assert.deepEqual(parsed('mailto:?to=joe@example.com&cc=bob@example.com&body=hello'), {
    ...empty,
    to: ['joe@example.com'],
    cc: ['bob@example.com'],
    body: 'hello',
  });
  assert.deepEqual(parsed('mailto:gorby%25kremvax@example.com'), { ...empty, to: ['gorby%kremvax@example.com'] });
  assert.deepEqual(parsed('mailto:unlikely%3Faddress@example.com?blat=foop'), { ...empty, to: ['unlikely?address@example.com'] });
  assert.deepEqual(parsed('mailto:Mike%26family@example.org'), { ...empty, to: ['Mike&family@example.org'] });
  // Non-ASCII, percent-encoded as UTF-8.
  assert.deepEqual(parsed('mailto:user@example.org?subject=caf%C3%A9&body=%E2%9C%93%20ok'), {
    ...empty,
    to: ['user@example.org'],
    subject: 'café',
    body: '✓ ok',
  });
  assert.deepEqual(parsed('mailto:'), empty, 'an empty link still opens the composer');
});

test('several addresses, in the path and in to/cc/bcc, deduplicated', () => {
  assert.deepEqual(
    parsed(
      'mailto:a@example.org,b@example.org?to=c@example.org%2Cd@example.org&to=A@example.org&cc=e@example.org,f@example.org&bcc=g@example.org',
    ),
    {
      ...empty,
      to: ['a@example.org', 'b@example.org', 'c@example.org', 'd@example.org'],
      cc: ['e@example.org', 'f@example.org'],
      bcc: ['g@example.org'],
    },
  );
  // Field names are case-insensitive and may be percent-encoded themselves.
  assert.deepEqual(parsed('MAILTO:x@example.org?SUBJECT=Hi&Cc=y@example.org&%62cc=z@example.org'), {
    ...empty,
    to: ['x@example.org'],
    cc: ['y@example.org'],
    bcc: ['z@example.org'],
    subject: 'Hi',
  });
  // A display name (not RFC 6068, but common) gives its address; spaces around commas do not matter.
  assert.deepEqual(parsed('mailto:Alice%20%3Calice@example.org%3E, %20bob@example.org'), {
    ...empty,
    to: ['alice@example.org', 'bob@example.org'],
  });
  // "+" is a plus sign, not a space.
  assert.deepEqual(parsed('mailto:me+tag@example.org?subject=1+1'), { ...empty, to: ['me+tag@example.org'], subject: '1+1' });
});

test('attachments and every other field are ignored', () => {
  for (const url of [
    'mailto:a@example.org?attach=/etc/passwd',
    'mailto:a@example.org?attachment=/etc/passwd',
    'mailto:a@example.org?ATTACH=%2Fetc%2Fpasswd',
    'mailto:a@example.org?Attachment=file:///C:/Windows/win.ini',
    'mailto:a@example.org?attach=~/.ssh/id_ed25519&attach=~/.gnupg/private-keys-v1.d',
    'mailto:a@example.org?%61ttach=/etc/shadow',
    'mailto:a@example.org?from=ceo@example.org&reply-to=x@evil.example&x-mailer=evil&sender=y@evil.example&in-reply-to=%3Cx%3E&references=x',
  ]) {
    const request = parsed(url);
    assert.deepEqual(request, { ...empty, to: ['a@example.org'] }, url);
    assert.doesNotMatch(JSON.stringify(request), /passwd|shadow|ssh|gnupg|win\.ini|evil|ceo/, url);
  }
  assert.deepEqual(Object.keys(parsed('mailto:a@example.org?attach=/etc/passwd&subject=s')!).sort(), [
    'bcc',
    'body',
    'cc',
    'subject',
    'to',
  ]);
});

test('the subject is one line: CR, LF and other controls cannot add a header', () => {
  const request = parsed('mailto:a@example.org?subject=Hello%0D%0ABcc:%20victim@example.org%0D%0A%0D%0Abody&body=x');
  assert.equal(request!.subject, 'Hello Bcc: victim@example.org body');
  assert.doesNotMatch(request!.subject, /[\r\n]/);
  assert.deepEqual(request!.bcc, []);
  assert.equal(parsed('mailto:?subject=a%0Ab%0Dc%00d%1Be%7Ff%C2%85g%E2%80%A8h')!.subject, 'a b c d e f g h');
  assert.equal(parsed('mailto:?subject=%20%20spaced%09%09out%20%20')!.subject, 'spaced out');
  // Bidirectional overrides would make the subject read backwards; they are dropped.
  assert.equal(parsed('mailto:?subject=invoice%E2%80%AEfdp.exe')!.subject, 'invoicefdp.exe');
  // The body keeps its lines (CRLF and CR become LF) and tabs, and drops other controls.
  assert.equal(parsed('mailto:?body=line1%0D%0Aline2%0Dline3%0Aline4%09tab%00%1B')!.body, 'line1\nline2\nline3\nline4\ttab');
});

test('only mailto: links: javascript:, data:, file:, http: and look-alikes are refused', () => {
  for (const url of [
    'javascript:alert(1)',
    'javascript:mailto:a@example.org',
    'JaVaScRiPt:alert(document.cookie)//mailto:a@example.org',
    'data:text/html,<script>alert(1)</script>',
    'file:///etc/passwd',
    'https://example.org/?mailto:a@example.org',
    ' mailto:a@example.org',
    'mailto',
    'mail to:a@example.org',
    'mailtox:a@example.org',
    '',
    null,
    undefined,
    42,
    { toString: () => 'mailto:a@example.org' },
    ['mailto:a@example.org'],
  ]) {
    assert.equal(parsed(url), null, String(url));
  }
  // A mailto: link whose "address" is a script URL gives no recipient.
  assert.deepEqual(parsed('mailto:javascript:alert(1)'), empty);
  assert.deepEqual(parsed('mailto:%6Aavascript:alert(1)@example.org'), empty);
});

test('recipients that are not plain addresses are dropped', () => {
  for (const bad of [
    'no-at-sign',
    '@example.org',
    'user@',
    'a@b@example.org',
    'user name@example.org',
    'user@exa mple.org',
    'user@example..org',
    '.user@example.org',
    'us..er@example.org',
    'user.@example.org',
    '"quoted"@example.org',
    'user@[127.0.0.1]',
    'user@example.org\r\nBcc: x@example.org',
    'user\u0000@example.org',
    'user\u202E@example.org',
    '<user@example.org',
    'a'.repeat(65) + '@example.org',
    'user@' + 'a'.repeat(64) + '.org',
    'x'.repeat(400),
  ]) {
    assert.equal(plainAddress(bad), null, JSON.stringify(bad));
  }
  assert.equal(plainAddress(' user.name+tag@sub.example.org '), 'user.name+tag@sub.example.org');
  assert.equal(plainAddress('Jöran <jöran@exämple.org>'), 'jöran@exämple.org');
  assert.deepEqual(parsed('mailto:ok@example.org,%0D%0ABcc:x@example.org,bad'), { ...empty, to: ['ok@example.org'] });
});

test('hostile sizes: bounded, never cut in the middle of a character, too long refused whole', () => {
  // A link longer than the limit is refused, not truncated (a cut address would be another address).
  assert.equal(parsed(`mailto:a@example.org?body=${'x'.repeat(MAX_MAILTO_LENGTH)}`), null);
  assert.equal(mailtoArguments([`mailto:a@example.org?body=${'x'.repeat(MAX_MAILTO_LENGTH)}`]).length, 0);

  // One ASCII character first, so that the limit falls in the middle of a surrogate pair.
  const bigSubject = parsed(`mailto:?subject=a${'%F0%9F%94%91'.repeat(2000)}`)!;
  assert.equal(bigSubject.subject.length, MAX_SUBJECT_LENGTH - 1);
  assert.doesNotMatch(bigSubject.subject, /[\uD800-\uDBFF]$/, 'no lone high surrogate at the end');
  assert.equal(
    [...bigSubject.subject.slice(1)].every((c) => c === '🔑'),
    true,
  );

  const bigBody = parsed(`mailto:?body=${'y'.repeat(MAX_MAILTO_LENGTH - 20)}`)!;
  assert.ok(bigBody.body.length <= MAX_BODY_LENGTH);

  const many = Array.from({ length: 500 }, (_, i) => `u${i}@example.org`).join(',');
  const crowd = parsed(`mailto:${many}?cc=${many}&bcc=${many}`)!;
  assert.equal(crowd.to.length, MAX_RECIPIENTS);
  assert.equal(crowd.cc.length, MAX_RECIPIENTS);
  assert.equal(crowd.bcc.length, MAX_RECIPIENTS);

  // Many tiny fields, deep percent runs, and separators only: quick, and no exception.
  const started = performance.now();
  parsed(`mailto:?${'&'.repeat(60_000)}`);
  parsed(`mailto:?${'a=&'.repeat(20_000)}`);
  parsed(`mailto:${'%'.repeat(60_000)}`);
  parsed(`mailto:?subject=${'%41'.repeat(21_000)}`);
  parsed(`mailto:${','.repeat(60_000)}`);
  assert.ok(performance.now() - started < 2000, 'linear time');
});

test('percent-decoding: UTF-8, malformed sequences kept, invalid bytes replaced', () => {
  assert.equal(percentDecode('a%20b'), 'a b');
  assert.equal(percentDecode('100%'), '100%');
  assert.equal(percentDecode('%zz%4'), '%zz%4');
  assert.equal(percentDecode('%C3%A9t%C3%A9'), 'été');
  assert.equal(percentDecode('%FF%FE'), '\uFFFD\uFFFD');
  assert.equal(percentDecode('%C3'), '\uFFFD', 'a truncated sequence');
  assert.equal(percentDecode('%2525'), '%25', 'decoded once only');
  assert.deepEqual(parsed('mailto:?subject=%E0%A4%A'), { ...empty, subject: '\uFFFD%A' });
});

test('a fragment is not part of the link; the first subject and body count', () => {
  assert.deepEqual(parsed('mailto:a@example.org?subject=one#subject=two'), { ...empty, to: ['a@example.org'], subject: 'one' });
  assert.deepEqual(parsed('mailto:?subject=first&subject=second&body=b1&body=b2'), { ...empty, subject: 'first', body: 'b1' });
  assert.deepEqual(parsed('mailto:?subject&body='), empty);
});

test('mailto: links among command-line arguments', () => {
  assert.deepEqual(
    mailtoArguments([
      '/opt/Sealpost/sealpost',
      '--no-sandbox',
      '--',
      'mailto:a@example.org',
      'MAILTO:b@example.org',
      'https://x',
      42,
      null,
      'file.eml',
    ]),
    ['mailto:a@example.org', 'MAILTO:b@example.org'],
  );
  assert.deepEqual(mailtoArguments([]), []);
});
