import { createHash } from 'node:crypto';
import type { ProviderName } from '../errors/payments-auth.error.js';

/**
 * Store key for one provider + tenant + credential. The fingerprint hashes the non-secret credential identity
 * (base URL and key id or client id), so rotating a tenant's credentials starts a fresh cache entry and a
 * token is never served for credentials other than the ones that obtained it.
 */
export function storeKeyFor(provider: ProviderName, tenant: string, credentialIdentity: string): string {
  // 8 bytes of the digest, hex-encoded on their own: slicing the full hex string would keep all 64 characters
  // alive behind the key. join() builds one flat string where a template literal leaves a rope of its parts.
  const fingerprint = createHash('sha256').update(credentialIdentity).digest().subarray(0, 8).toString('hex');
  return [provider, tenant, fingerprint].join(':');
}

/** What every store key of the provider and tenant starts with (tenant ids never contain ':'). */
export function tenantKeyPrefix(provider: ProviderName, tenant: string): string {
  return `${provider}:${tenant}:`;
}
