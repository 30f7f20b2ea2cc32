import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { mayHoldRotatingGrants } from '../options/default-store.js';
import type { ValidatedOptions } from '../options/module-options.validator.js';
import { VALIDATED_OPTIONS } from '../options/injection-tokens.js';
import type { StoreAudit, TokenStore } from '../stores/token-store.interface.js';
import { storeLabel } from './store-label.js';

/**
 * What an operator must see once, when the application starts: where grants live (an absolute path, never
 * relative to a working directory), whether they are encrypted, records the keys do not cover, and tenants
 * that turned PKCE off. Nothing here stops the start; the production rules that must are in the validator.
 */
@Injectable()
export class StartupReport implements OnApplicationBootstrap {
  private readonly logger = new Logger('PaymentsAuth');

  /** @internal Created by Nest's injector. */
  constructor(@Inject(VALIDATED_OPTIONS) private readonly options: ValidatedOptions) {}

  async onApplicationBootstrap(): Promise<void> {
    const { store } = this.options;
    this.logger.log(`Tokens are kept in ${storeLabel(store)}`);
    this.warnOfPlaintext(store);
    await this.reportRecords(store);
    for (const [tenant, config] of this.options.tenants) {
      if (config.blnk?.mode === 'oauth' && config.blnk.pkce === false) this.logger.warn(pkceOffWarning(tenant));
    }
  }

  /** Refresh tokens and PKCE verifiers written unencrypted: a warning, an error in production. */
  private warnOfPlaintext(store: TokenStore): void {
    const description = store.describe?.();
    const { tenants, resolveTenant } = this.options;
    if (description === undefined || description.encrypted || description.atRest === false || !mayHoldRotatingGrants(tenants.values(), resolveTenant !== undefined)) return;
    const message =
      `${description.type} writes Blnk refresh tokens and PKCE verifiers unencrypted at ${description.location}; ` +
      'pass encryption: { keys: [<32-byte key>] } to the store to encrypt them at rest';
    if (process.env.NODE_ENV === 'production') this.logger.error(message);
    else this.logger.warn(message);
  }

  /** With keys configured: how many records the newest key does not seal yet (reseal() seals them). */
  private async reportRecords(store: TokenStore): Promise<void> {
    if (store.describe?.().encrypted !== true || store.audit === undefined) return;
    let audit: StoreAudit;
    try {
      audit = await store.audit();
    } catch {
      return; // an unreachable store is reported by the operations that need it
    }
    const uncovered = audit.sealedWithOlderKey + audit.plaintext + audit.unreadable;
    const counts =
      `${audit.records} stored records: ${audit.sealedWithNewestKey} sealed with the newest key, ${audit.sealedWithOlderKey} with an older one, ` +
      `${audit.plaintext} in plaintext (sealed on their next write), ${audit.unreadable} sealed with a key no longer configured`;
    if (uncovered === 0) this.logger.log(counts);
    else this.logger.warn(`${counts}; run the store's reseal() before an older key is dropped`);
  }
}

export function pkceOffWarning(tenant: string): string {
  return (
    `Blnk tenant '${tenant}' has pkce: false: an intercepted authorization code can be exchanged by whoever holds it. ` +
    'Leave PKCE on unless the authorization server refuses it'
  );
}
