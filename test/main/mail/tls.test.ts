import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rootCertificates } from 'node:tls';
import { tlsOptions } from '../../../main/mail/tls.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

test('certificates are checked and TLS 1.2 is the least, with or without an account CA', () => {
  for (const ca of [null, undefined, '', CA]) {
    const o = tlsOptions('mail.example.org', ca);
    assert.equal(o.rejectUnauthorized, true);
    assert.equal(o.minVersion, 'TLSv1.2');
  }
});

test("the account's CA is added to the system roots, not put in their place", () => {
  assert.deepEqual(tlsOptions('mail.example.org', CA).ca, [...rootCertificates, CA]);
  // Without one, Node's default roots are used: no `ca` at all.
  assert.equal('ca' in tlsOptions('mail.example.org', null), false);
});

test('SNI names a host name, never an IP literal (RFC 6066, section 3)', () => {
  assert.equal(tlsOptions('mail.example.org', null).servername, 'mail.example.org');
  assert.equal('servername' in tlsOptions('127.0.0.1', null), false);
  assert.equal('servername' in tlsOptions('::1', null), false);
});
