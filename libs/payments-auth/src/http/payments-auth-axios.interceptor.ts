import { Injectable } from '@nestjs/common';
import { AxiosHeaders, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig, isAxiosError } from 'axios';
import { TenantRegistry } from '../tenants/tenant-registry.js';
import { NoTenantError } from '../errors/no-tenant.error.js';
import { PaymentsAuthError } from '../errors/payments-auth.error.js';
import { PaymentsAuthMetrics } from '../observability/payments-auth-metrics.js';
import type { ValidatedTenantConfig } from '../options/tenant-config.validator.js';
import { ProviderServices } from '../providers/provider-services.js';
import { type PaymentsAuthRequestOptions, paymentsAuthOf } from './payments-request-config.js';
import { scrubCredentials } from './credential-scrubber.js';
import { hasBasePath, isUnder } from '../options/base-url.js';
import { type ProviderTarget, requestUrlOf, targetOnce } from './provider-target.js';
import { Redirect, dropCredentialsLeaving, usesHttpAdapter } from './redirect-guard.js';
import { currentTenant } from './tenant-context.js';

/** How long a request to a host of no known tenant waits for an unknown tenant's `resolveTenant` lookup. */
const OTHER_HOST_LOOKUP_WAIT_MS = 1_000;

/** What the interceptor put on one request, so a 401 can be traced back to the exact token sent. */
interface Attachment {
  tenant: string;
  target: ProviderTarget;
  headerName: string;
  /** The credential sent; for managed tokens, the one to invalidate on 401. */
  credential: string;
}

/**
 * Attaches the right credential to requests for a configured provider, and replays a request once after a 401
 * with a fresh token. Attach it to an Axios instance you own with `attach(instance)`; the module's
 * `PaymentsHttpService` already carries it. It is never installed on the global axios default.
 *
 * Credentials go only to URLs under a provider base URL of the request's tenant (as Axios itself builds the
 * URL), never to the token endpoints, and never across a redirect that leaves that base URL. Requests to other
 * hosts pass through untouched, whatever the tenant context says. Every Axios error passing through is
 * scrubbed of credential headers.
 */
@Injectable()
export class PaymentsAuthAxiosInterceptor {
  private readonly attachments = new WeakMap<InternalAxiosRequestConfig, Attachment>();

  /** @internal Created by Nest's injector. */
  constructor(
    private readonly registry: TenantRegistry,
    private readonly providers: ProviderServices,
    private readonly metrics: PaymentsAuthMetrics,
  ) {}

  /** Installs the interceptor on `instance`; returns a function that removes it again. */
  attach(instance: AxiosInstance): () => void {
    const requestId = instance.interceptors.request.use((config) => this.authorize(config));
    const responseId = instance.interceptors.response.use(
      // A 401 the caller's validateStatus accepts arrives here, not as an error: it is recovered all the same.
      (response) => (response.status === 401 ? this.recoverResponse(instance, response) : response),
      (error: unknown) => this.recoverError(instance, error),
    );
    return () => {
      instance.interceptors.request.eject(requestId);
      instance.interceptors.response.eject(responseId);
    };
  }

  private async authorize(config: InternalAxiosRequestConfig): Promise<InternalAxiosRequestConfig> {
    const url = requestUrlOf(config);
    if (url === undefined) return config;
    const tenant = paymentsAuthOf(config)?.tenant ?? currentTenant() ?? this.registry.defaultTenant;
    if (tenant === undefined) {
      if (this.registry.isProviderUrl(url)) throw new NoTenantError();
      return config;
    }
    const tenantConfig = this.registry.peek(tenant) ?? (await this.lookUp(tenant, url));
    const target = tenantConfig && targetOnce(url, tenantConfig, () => this.providers.targetOf(url, tenantConfig));
    if (target === undefined || target.isTokenEndpoint) return config;

    const headers = AxiosHeaders.from(config.headers);
    if (headers.has(target.headerName)) return config; // the caller set it deliberately
    const service = this.providers.credentialsFor(target.provider);
    // The services' public method, so an app that overrides a service (tests) still gets its credential attached;
    // a credential at hand comes without the promises in between (bench 2).
    const authHeaders = service.cachedAuthHeaders?.(tenant) ?? (await service.getAuthHeaders(tenant));
    const [name, value] = Object.entries(authHeaders)[0] as [string, string];
    const header = { name, value };
    headers.set(header.name, header.value);
    config.headers = headers;
    if (target.instanceId !== undefined && !url.searchParams.has('instance_id')) {
      config.params = { ...(config.params as object | undefined), instance_id: target.instanceId };
    }
    // Only Axios's http adapter runs redirect hooks; a credentialed request through any other (fetch, your own)
    // does not follow redirects at all. The hook is added only where Axios's own redirect stripping falls
    // short: on every request it costs ~10% throughput (bench 2).
    if (!usesHttpAdapter(config)) config.maxRedirects = 0;
    else if (header.name !== 'Authorization' || hasBasePath(target.baseUrl)) {
      config.beforeRedirect = dropCredentialsLeaving(
        target.baseUrl,
        header.name,
        config.beforeRedirect as Redirect | undefined,
      );
    }
    this.attachments.set(config, {
      tenant,
      target,
      headerName: header.name,
      credential: header.value.startsWith('Bearer ') ? header.value.slice('Bearer '.length) : header.value,
    });
    return config;
  }

  /**
   * A tenant not known yet. Its lookup failing (unknown id, invalid config, resolver error) fails only requests
   * that could be meant for a provider; anyone able to set `x-tenant-id` must not break every other outbound
   * call. Nor stall it: a request to a host no known tenant uses waits for the lookup (the tenant may turn out
   * to have its own Blnk Core host) at most OTHER_HOST_LOOKUP_WAIT_MS, then goes out untouched while the
   * lookup finishes for later requests.
   */
  private async lookUp(tenant: string, url: URL): Promise<ValidatedTenantConfig | undefined> {
    const lookup = this.registry.getOrThrow(tenant);
    if (this.registry.isProviderUrl(url)) return lookup;
    lookup.catch(() => undefined); // settles after we may have stopped waiting
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<undefined>(
      (resolve) => (timer = setTimeout(() => resolve(undefined), OTHER_HOST_LOOKUP_WAIT_MS).unref()),
    );
    try {
      return await Promise.race([lookup, gaveUp]);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private async recoverResponse(instance: AxiosInstance, response: AxiosResponse): Promise<AxiosResponse> {
    const attachment = this.replayableAttachment(response.config, response);
    return attachment === undefined
      ? response
      : this.replay(instance, replayOf(response.config, attachment), attachment);
  }

  private async recoverError(instance: AxiosInstance, error: unknown): Promise<AxiosResponse> {
    if (!isAxiosError(error) || error.config === undefined) throw error;
    const response = error.response;
    const attachment = response?.status === 401 ? this.replayableAttachment(error.config, response) : undefined;
    // Built before the scrub, which redacts the credential headers of this very config in place.
    const retry = attachment && replayOf(error.config, attachment);
    const sent = this.attachments.get(error.config);
    scrubCredentials(error, sent && [sent.credential]);
    if (attachment === undefined || retry === undefined) throw error;
    return this.replay(instance, retry, attachment);
  }

  /**
   * The attachment to renew and replay for, if any: a managed token, not replayed yet, a body that can be sent
   * again, and a 401 from under the provider's base URL. One from wherever a redirect led (the credential was
   * dropped on the way) says nothing about the token, and must not make us drop it and rotate the grant.
   */
  private replayableAttachment(config: InternalAxiosRequestConfig, response: AxiosResponse): Attachment | undefined {
    const attachment = this.attachments.get(config);
    if (
      attachment?.target.renewable !== true ||
      paymentsAuthOf(config)?.replayed === true ||
      !isReplayable(config.data)
    )
      return undefined;
    const answeredBy = finalUrlOf(response);
    return answeredBy === undefined || isUnder(answeredBy, attachment.target.baseUrl) ? attachment : undefined;
  }

  /**
   * A 401 for a managed token: drop that token only if it is still the cached one (a concurrent request may
   * have renewed it already), get a fresh one through the shared single flight, and replay once. Requests that
   * were in flight with the old token all land here and all replay with the one new token.
   */
  private async replay(
    instance: AxiosInstance,
    retry: InternalAxiosRequestConfig,
    attachment: Attachment,
  ): Promise<AxiosResponse> {
    const { provider } = attachment.target;
    const service = this.providers.credentialsFor(provider);
    const startedAt = Date.now();
    this.metrics.increment('replays');
    try {
      await service.invalidate(attachment.tenant, attachment.credential);
      const response = await instance.request(retry);
      // A caller whose validateStatus accepts a 401 gets it back as an answer: the replay still failed.
      this.metrics.replayEnded(
        provider,
        attachment.tenant,
        startedAt,
        response.status,
        response.status === 401 ? 'HTTP 401' : undefined,
      );
      return response;
    } catch (error) {
      const status = isAxiosError(error) ? error.response?.status : undefined;
      const code =
        error instanceof PaymentsAuthError
          ? error.code
          : status !== undefined
            ? `HTTP ${status}`
            : isAxiosError(error)
              ? (error.code ?? 'error')
              : 'unknown';
      this.metrics.replayEnded(provider, attachment.tenant, startedAt, status, code);
      throw error;
    }
  }
}

/** Where the response came from after redirects (follow-redirects records it on the http adapter's response). */
function finalUrlOf(response: AxiosResponse): URL | undefined {
  const responseUrl = (response.request as { res?: { responseUrl?: unknown } } | undefined)?.res?.responseUrl;
  if (typeof responseUrl !== 'string') return undefined;
  try {
    return new URL(responseUrl);
  } catch {
    return undefined;
  }
}

/** The request once more, for the same tenant, marked so it is not replayed a second time. */
function replayOf(config: InternalAxiosRequestConfig, attachment: Attachment): InternalAxiosRequestConfig {
  const headers = AxiosHeaders.from(config.headers);
  headers.delete(attachment.headerName); // so the replay is authorized afresh, not treated as caller-set
  const paymentsAuth: PaymentsAuthRequestOptions = {
    ...paymentsAuthOf(config),
    tenant: attachment.tenant,
    replayed: true,
  };
  const replay: InternalAxiosRequestConfig & { paymentsAuth: PaymentsAuthRequestOptions } = {
    ...config,
    headers,
    paymentsAuth,
  };
  return replay;
}

/**
 * A body that can be sent again: a primitive, a buffer, a typed array, URLSearchParams or a plain object. A stream
 * or an async iterable was consumed by the first attempt.
 */
function isReplayable(data: unknown): boolean {
  if (typeof data !== 'object' || data === null) return true;
  return typeof (data as { pipe?: unknown }).pipe !== 'function' && !(Symbol.asyncIterator in data);
}
