import { Injectable } from '@nestjs/common';
import { AxiosHeaders, AxiosInstance, AxiosResponse, InternalAxiosRequestConfig, isAxiosError } from 'axios';
import { TenantRegistry } from '../engine/tenant-registry';
import { NoTenantError } from '../errors/no-tenant.error';
import { PaymentsAuthMetrics } from '../observability/payments-auth-metrics';
import { BlinkTokenService } from '../providers/blink/blink-token.service';
import { BlnkTokenService } from '../providers/blnk/blnk-token.service';
import './axios-augmentation';
import { scrubCredentials } from './credential-scrubber';
import { ProviderTarget, isUnder, providerTargetOf, requestUrlOf } from './provider-target';
import { currentTenant } from './tenant-context';

/** What the interceptor put on one request, so a 401 can be traced back to the exact token sent. */
interface Attachment {
  tenant: string;
  target: ProviderTarget;
  headerName: string;
  /** The credential sent; for managed tokens, the one to invalidate on 401. */
  credential: string;
}

type Redirect = (options: Record<string, unknown>, responseDetails: unknown, requestDetails: unknown) => void;

/**
 * Attaches the right credential to requests for a configured provider, and replays a request once after a 401
 * with a fresh token. Attach it to an Axios instance you own with `attach(instance)`; the module's
 * `PaymentsHttpService` already carries it. It is never installed on the global axios default.
 *
 * Credentials go only to URLs under a provider base URL of the request's tenant, never to the token endpoints,
 * and never across a redirect that leaves that base URL. Every Axios error passing through is scrubbed of
 * credential headers.
 */
@Injectable()
export class PaymentsAuthInterceptor {
  private readonly attachments = new WeakMap<InternalAxiosRequestConfig, Attachment>();

  constructor(
    private readonly registry: TenantRegistry,
    private readonly blink: BlinkTokenService,
    private readonly blnk: BlnkTokenService,
    private readonly metrics: PaymentsAuthMetrics,
  ) {}

  /** Installs the interceptor on `instance`; returns a function that removes it again. */
  attach(instance: AxiosInstance): () => void {
    const requestId = instance.interceptors.request.use((config) => this.authorize(config));
    const responseId = instance.interceptors.response.use(undefined, (error: unknown) => this.recover(instance, error));
    return () => {
      instance.interceptors.request.eject(requestId);
      instance.interceptors.response.eject(responseId);
    };
  }

  private async authorize(config: InternalAxiosRequestConfig): Promise<InternalAxiosRequestConfig> {
    const url = requestUrlOf(config);
    if (url === undefined) return config;
    const tenant = config.paymentsAuth?.tenant ?? currentTenant() ?? this.registry.defaultTenant;
    if (tenant === undefined) {
      if (this.registry.isProviderUrl(url)) throw new NoTenantError();
      return config;
    }
    const target = providerTargetOf(url, this.registry.peek(tenant) ?? (await this.registry.getOrThrow(tenant)));
    if (target === undefined || target.isTokenEndpoint) return config;

    const headers = AxiosHeaders.from(config.headers);
    if (headers.has(target.headerName)) return config; // the caller set it deliberately
    const service = target.provider === 'blink' ? this.blink : this.blnk;
    const header = await service.getAuthHeader(tenant);
    headers.set(header.name, header.value);
    config.headers = headers;
    if (target.instanceId !== undefined && !url.searchParams.has('instance_id') && config.params?.instance_id === undefined) {
      config.params = { ...config.params, instance_id: target.instanceId };
    }
    // Axios (and follow-redirects) already drop Authorization on a redirect to another origin, but not a custom
    // header. The hook is added only where needed: on every request it costs ~10% throughput (bench 2).
    if (header.name !== 'Authorization') {
      config.beforeRedirect = dropCredentialsLeaving(target.baseUrl, header.name, config.beforeRedirect as Redirect | undefined);
    }
    this.attachments.set(config, { tenant, target, headerName: header.name, credential: header.value.replace(/^Bearer /, '') });
    return config;
  }

  /**
   * A 401 for a managed token: drop that token only if it is still the cached one (a concurrent request may
   * have renewed it already), get a fresh one through the shared single flight, and replay once. Requests that
   * were in flight with the old token all land here and all replay with the one new token.
   */
  private async recover(instance: AxiosInstance, error: unknown): Promise<AxiosResponse> {
    if (!isAxiosError(error) || error.config === undefined) throw error;
    const attachment = this.attachments.get(error.config);
    const replay =
      attachment?.target.renewable === true &&
      error.response?.status === 401 &&
      error.config.paymentsAuth?.replayed !== true &&
      isReplayable(error.config.data);
    if (!replay || attachment === undefined) throw scrubCredentials(error);

    const service = attachment.target.provider === 'blink' ? this.blink : this.blnk;
    const headers = AxiosHeaders.from(error.config.headers);
    headers.delete(attachment.headerName); // so the replay is authorized afresh, not treated as caller-set
    const retry = { ...error.config, headers, paymentsAuth: { ...error.config.paymentsAuth, tenant: attachment.tenant, replayed: true } };
    scrubCredentials(error);
    this.metrics.increment('replays');
    await service.invalidate(attachment.tenant, attachment.credential);
    return instance.request(retry);
  }
}

/** Chains a redirect hook that strips the credential once a redirect leaves the provider's base URL. */
function dropCredentialsLeaving(baseUrl: string, headerName: string, userHook: Redirect | undefined): Redirect {
  return (options, responseDetails, requestDetails) => {
    const href = typeof options.href === 'string' ? options.href : undefined;
    let stays = false;
    try {
      stays = href !== undefined && isUnder(new URL(href), baseUrl);
    } catch {
      stays = false;
    }
    const headers = options.headers as Record<string, unknown> | undefined;
    if (!stays && headers) {
      for (const name of Object.keys(headers)) {
        if (name.toLowerCase() === headerName.toLowerCase() || name.toLowerCase() === 'authorization') delete headers[name];
      }
    }
    userHook?.(options, responseDetails, requestDetails);
  };
}

/** A body that was a stream has been consumed by the first attempt and cannot be sent again. */
function isReplayable(data: unknown): boolean {
  if (data === undefined || data === null || typeof data === 'string') return true;
  if (Buffer.isBuffer(data) || data instanceof ArrayBuffer || ArrayBuffer.isView(data) || data instanceof URLSearchParams) return true;
  return typeof data === 'object' && typeof (data as { pipe?: unknown }).pipe !== 'function' && !(Symbol.asyncIterator in data);
}
