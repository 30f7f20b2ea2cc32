import { Inject, Injectable } from '@nestjs/common';
import type { ProviderName } from '../errors/payments-auth.error.js';
import { type ProviderTarget, type ValidatedTenantConfig, configFor } from '../options/provider-rules.js';
import {
  PROVIDER_DEFINITIONS,
  PROVIDER_SERVICES,
  type ProviderCredentials,
  type ProviderDefinition,
} from './provider-definition.js';

/** Every configured provider's rules and service, for the parts of the library that serve them all alike. */
@Injectable()
export class ProviderServices {
  /** @internal Created by Nest's injector. */
  constructor(
    @Inject(PROVIDER_DEFINITIONS) private readonly definitions: readonly ProviderDefinition[],
    @Inject(PROVIDER_SERVICES) private readonly services: ReadonlyMap<ProviderName, ProviderCredentials>,
  ) {}

  /**
   * Which provider (if any) of this tenant a URL belongs to: same origin, and a path under the base URL's path at
   * a segment boundary (`https://h/api` covers `/api/x`, not `/apiary`). Providers are asked in list order.
   */
  targetOf(url: URL, tenant: ValidatedTenantConfig): ProviderTarget | undefined {
    for (const { rules } of this.definitions) {
      const config = configFor(rules, tenant);
      const target = config === undefined ? undefined : rules.target(url, config);
      if (target !== undefined) return target;
    }
    return undefined;
  }

  /** The service of the provider a target names; a name no definition has is a bug, never another provider's. */
  credentialsFor(provider: ProviderName): ProviderCredentials {
    const service = this.services.get(provider);
    if (service === undefined) throw new Error(`payments-auth: no service is registered for provider '${provider}'`);
    return service;
  }

  /** Each provider's tenants' token states, in list order. */
  states() {
    return this.definitions.flatMap(({ rules }) => this.credentialsFor(rules.name).states());
  }
}
