/*
 * A third provider, defined here in test/ only: its rules, token protocol, service and definition, as a provider's
 * folder in libs/payments-auth/src/providers/ would hold them. Adding it to the library is this folder plus one
 * entry in providers/provider-list.ts; the test adds that entry to the same list at run time.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { IssuedToken, TokenProtocol } from '../../libs/payments-auth/src/engine/token-protocol.interface';
import { TokenEngineFactory } from '../../libs/payments-auth/src/engine/token-engine.factory';
import type { TokenState } from '../../libs/payments-auth/src/engine/token-snapshot.interface';
import { ProviderRejectedError } from '../../libs/payments-auth/src/errors/provider-rejected.error';
import { ReauthorizationRequiredError } from '../../libs/payments-auth/src/errors/reauthorization-required.error';
import { isPathUnder, isUnder, withoutTrailingSlash } from '../../libs/payments-auth/src/options/base-url';
import { VALIDATED_OPTIONS } from '../../libs/payments-auth/src/options/injection-tokens';
import type { ValidatedOptions } from '../../libs/payments-auth/src/options/module-options.validator';
import { type ProviderRules, configFor } from '../../libs/payments-auth/src/options/provider-rules';
import type { ProviderDefinition } from '../../libs/payments-auth/src/providers/provider-definition';
import { TokenHttpClient, commonFailure } from '../../libs/payments-auth/src/providers/token-endpoint.client';
import { TenantRegistry } from '../../libs/payments-auth/src/tenants/tenant-registry';
import { TokenFacade } from '../../libs/payments-auth/src/tenants/token-facade';

declare module '../../libs/payments-auth/src/errors/payments-auth.error' {
  interface ProviderNames {
    acmepay: true;
  }
}

export const ACMEPAY_TOKEN_PATH = '/v1/token';
export const ACMEPAY_HEADER = 'X-Acme-Token';

export interface AcmePayConfig {
  keyId: string;
  secret: string;
  baseUrl: string;
}

const ACMEPAY_RULES: ProviderRules<AcmePayConfig> = {
  name: 'acmepay',
  defaultBaseUrls: [],
  validate(raw, path) {
    const fields = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
    const issues = ['keyId', 'secret', 'baseUrl']
      .filter((field) => typeof fields[field] !== 'string' || fields[field] === '')
      .map((field) => ({ path: `${path}.${field}`, problem: 'must be a non-empty string' }));
    if (issues.length > 0) return { ok: false, issues };
    return {
      ok: true,
      config: {
        keyId: fields.keyId as string,
        secret: fields.secret as string,
        baseUrl: withoutTrailingSlash(fields.baseUrl as string),
      },
    };
  },
  baseUrlOf: (config) => config.baseUrl,
  target(url, config) {
    if (!isUnder(url, config.baseUrl)) return undefined;
    return {
      provider: 'acmepay',
      baseUrl: config.baseUrl,
      isTokenEndpoint: isPathUnder(url, config.baseUrl, ACMEPAY_TOKEN_PATH),
      renewable: true,
      headerName: ACMEPAY_HEADER,
    };
  },
  holdsRotatingGrant: () => false,
  warnings: () => [],
};

/** Key id and secret in a JSON body; `{ token, ttl_seconds }` back. */
@Injectable()
export class AcmePayProtocol implements TokenProtocol<AcmePayConfig> {
  readonly provider = 'acmepay' as const;
  readonly rotatesRefreshTokens = false;

  constructor(
    private readonly http: TokenHttpClient,
    @Inject(VALIDATED_OPTIONS) private readonly options: ValidatedOptions,
  ) {}

  credentialIdentity(config: AcmePayConfig): string {
    return `${config.baseUrl}\n${config.keyId}`;
  }

  audience(config: AcmePayConfig): string {
    return config.baseUrl;
  }

  async acquire(config: AcmePayConfig, tenant: string): Promise<IssuedToken> {
    const details = { provider: this.provider, tenant };
    const issuedAt = Date.now();
    const response = await this.http.post({
      details,
      url: `${config.baseUrl}${ACMEPAY_TOKEN_PATH}`,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ key_id: config.keyId, secret: config.secret }),
      timeoutMs: this.options.tokenCallTimeoutMs,
    });
    const failure = commonFailure(response, details);
    if (failure !== undefined) throw failure;
    if (response.status === 401) throw new ReauthorizationRequiredError({ ...details, status: 401 }, 'key refused');
    const body = response.json as { token?: unknown; ttl_seconds?: unknown } | undefined;
    if (response.status !== 200 || typeof body?.token !== 'string' || typeof body.ttl_seconds !== 'number') {
      throw new ProviderRejectedError({ ...details, status: response.status }, 'unexpected token answer');
    }
    return { accessToken: body.token, issuedAt, expiresAt: issuedAt + body.ttl_seconds * 1000 };
  }
}

@Injectable()
export class AcmePayTokenService {
  private readonly tokens: TokenFacade<AcmePayConfig>;

  constructor(registry: TenantRegistry, protocol: AcmePayProtocol, engines: TokenEngineFactory) {
    this.tokens = new TokenFacade(registry, engines, protocol, (tenantConfig) =>
      configFor(ACMEPAY_RULES, tenantConfig),
    );
  }

  getToken(tenant: string): Promise<string> {
    return this.tokens.getToken(tenant);
  }

  async getAuthHeaders(tenant: string): Promise<Readonly<Record<string, string>>> {
    return { [ACMEPAY_HEADER]: await this.tokens.getToken(tenant) };
  }

  invalidate(tenant: string, token?: string): Promise<boolean> {
    return this.tokens.invalidate(tenant, token);
  }

  states(): TokenState[] {
    return this.tokens.states();
  }
}

export const ACMEPAY: ProviderDefinition<AcmePayConfig> = {
  rules: ACMEPAY_RULES,
  protocol: AcmePayProtocol,
  service: AcmePayTokenService,
};
