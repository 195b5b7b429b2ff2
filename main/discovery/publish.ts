/**
 * Publishing one's public key on a VKS keyserver (https://keys.openpgp.org/about/api):
 * `POST /vks/v1/upload` with the armored key, then, for the addresses the
 * server has not published yet, `POST /vks/v1/request-verify`, after which
 * the server mails each address a link to confirm it. Only the keyring's
 * public export leaves this machine.
 */
import { NetworkError } from './http.ts';
import { DEFAULT_KEYSERVER, keyserverBase, vksRequestVerify, vksUpload, type VksAddressState } from './keyserver.ts';
import { httpLimits } from './lookup.ts';
import type { KeyringCalls } from '../../app/node/keyring-client.ts';
import type { Fetcher } from './http.ts';

export interface PublishOptions {
  keyring: KeyringCalls;
  /** A VKS keyserver (https://); default https://keys.openpgp.org. */
  keyserver?: string;
  fetcher?: Fetcher;
  timeoutMs?: number;
  maxBytes?: number;
}

export interface PublishReport {
  fingerprint: string;
  keyserver: string;
  /** Each address of the key as the server knows it after the requests. */
  status: Record<string, VksAddressState>;
}

/** Upload the public key named by `query` and ask for the confirmation mails. Throws a usage error (URL), a keyring error or `NetworkError`. */
export async function publishKey(query: string, options: PublishOptions): Promise<PublishReport> {
  const base = keyserverBase(options.keyserver ?? DEFAULT_KEYSERVER);
  const limits = httpLimits(options);
  const key = await options.keyring.call('keys.show', { query });
  const { armored } = await options.keyring.call('keys.export', { query: key.fingerprint, secret: false, minimal: false });
  const uploaded = await vksUpload(base, armored, limits);
  if (uploaded.key_fpr !== key.fingerprint)
    throw new NetworkError('network-bad-response', `${new URL(base).hostname} answered for another key (${uploaded.key_fpr})`, base, true);
  const unpublished = Object.entries(uploaded.status)
    .filter(([, state]) => state === 'unpublished')
    .map(([address]) => address);
  if (unpublished.length === 0) return { fingerprint: key.fingerprint, keyserver: base, status: uploaded.status };
  const verified = await vksRequestVerify(base, uploaded.token, unpublished, limits);
  return { fingerprint: key.fingerprint, keyserver: base, status: { ...uploaded.status, ...verified.status } };
}
