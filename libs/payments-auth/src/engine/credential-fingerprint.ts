import { createHash } from 'node:crypto';
import type { ProviderName } from '../errors/payments-auth.error';

/**
 * Store key for one provider + tenant + credential. The fingerprint hashes the non-secret credential identity
 * (base URL and key id or client id), so rotating a tenant's credentials starts a fresh cache entry and a
 * token is never served for credentials other than the ones that obtained it.
 */
export function storeKeyFor(provider: ProviderName, tenant: string, credentialIdentity: string): string {
  const fingerprint = createHash('sha256').update(credentialIdentity).digest('hex').slice(0, 16);
  return `${provider}:${tenant}:${fingerprint}`;
}
