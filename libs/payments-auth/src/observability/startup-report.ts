import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { mayHoldRotatingGrants } from '../options/default-store.js';
import type { ValidatedOptions } from '../options/module-options.validator.js';
import { PROVIDER_RULES, VALIDATED_OPTIONS } from '../options/injection-tokens.js';
import { type ProviderRules, configFor } from '../options/provider-rules.js';
import type { StoreAudit, TokenStore } from '../stores/token-store.interface.js';
import { storeLabel } from './store-label.js';

/**
 * What an operator must see once, when the application starts: where grants live (an absolute path, never
 * relative to a working directory), whether they are encrypted, records the keys do not cover, and tenants
 * whose configuration a provider warns of (Blnk: PKCE turned off). Nothing here stops the start; the production rules that must are in the validator.
 */
@Injectable()
export class StartupReport implements OnApplicationBootstrap {
  private readonly logger = new Logger('PaymentsAuth');

  /** @internal Created by Nest's injector. */
  constructor(
    @Inject(VALIDATED_OPTIONS) private readonly options: ValidatedOptions,
    @Inject(PROVIDER_RULES) private readonly providers: readonly ProviderRules[],
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { store } = this.options;
    this.logger.log(`Tokens are kept in ${storeLabel(store)}`);
    this.warnOfPlaintext(store);
    await this.reportRecords(store);
    for (const [tenant, config] of this.options.tenants) {
      for (const provider of this.providers) {
        const own = configFor(provider, config);
        for (const warning of own === undefined ? [] : provider.warnings(tenant, own)) this.logger.warn(warning);
      }
    }
  }

  /** Refresh tokens and PKCE verifiers written unencrypted: a warning, an error in production. */
  private warnOfPlaintext(store: TokenStore): void {
    const description = store.describe?.();
    const { tenants, resolveTenant } = this.options;
    if (
      description === undefined ||
      description.encrypted ||
      description.atRest === false ||
      !mayHoldRotatingGrants(tenants.values(), resolveTenant !== undefined, this.providers)
    )
      return;
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
