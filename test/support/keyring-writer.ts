/**
 * A process that writes the keyring in a loop, for the crash tests: it
 * flips the trust of one key and reports each write that completed.
 * Usage: node test/support/keyring-writer.ts HOME FINGERPRINT
 */
import { Keyring } from '../../keyring/keyring.ts';
import { KeyStore } from '../../keyring/store.ts';

const [home, fingerprint] = process.argv.slice(2);
if (!home || !fingerprint) throw new Error('usage: keyring-writer.ts HOME FINGERPRINT');
const keyring = new Keyring(new KeyStore(home));
for (let i = 1; ; i++) {
  const trust = i % 2 === 0 ? 'verified' : 'rejected';
  await keyring.setTrust(fingerprint, trust);
  process.stdout.write(`${i} ${trust}\n`);
}
