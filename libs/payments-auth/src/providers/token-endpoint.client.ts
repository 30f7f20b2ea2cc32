import type { Agent } from 'node:http';
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import axios, { AxiosInstance, isAxiosError } from 'axios';
import type { PaymentsAuthErrorDetails } from '../errors/payments-auth.error.js';
import { PaymentsAuthError } from '../errors/payments-auth.error.js';
import { ProviderTimeoutError } from '../errors/provider-timeout.error.js';
import { ProviderUnavailableError } from '../errors/provider-unavailable.error.js';
import { RateLimitedError } from '../errors/rate-limited.error.js';
import { VALIDATED_OPTIONS } from '../options/injection-tokens.js';
import type { ValidatedOptions } from '../options/module-options.validator.js';
import { parseRetryAfter } from './retry-after.js';
import { TokenCallPool, TokenCallRefusedError } from './token-call-pool.js';

/** Token responses are small; anything larger is not a token response. */
const MAX_TOKEN_RESPONSE_BYTES = 256 * 1024;

export interface TokenEndpointRequest {
  details: Required<Pick<PaymentsAuthErrorDetails, 'provider' | 'tenant'>>;
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Runs once a socket is free, right before the request is sent; a throw sends nothing. */
  beforeSend?: () => Promise<void>;
}

export interface TokenEndpointResponse {
  status: number;
  /** The parsed JSON body, or undefined when the body was not JSON (an HTML error page, say). */
  json: unknown;
  retryAfter?: string;
}

/**
 * How token calls reach providers. The library's own Axios instance carries no interceptors, so a token call
 * can never be intercepted into a 401 loop, and it never follows redirects: credentials in a token request body
 * must not be re-sent to wherever a redirect points. Sockets come from a bounded keep-alive pool per origin.
 */
@Injectable()
export class TokenHttpClient implements OnApplicationShutdown {
  private readonly http: AxiosInstance = axios.create({
    maxRedirects: 0,
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    maxContentLength: MAX_TOKEN_RESPONSE_BYTES,
    headers: { Accept: 'application/json', 'User-Agent': 'payments-auth' },
  });
  private readonly pool: TokenCallPool;

  constructor(@Inject(VALIDATED_OPTIONS) options: ValidatedOptions) {
    this.pool = new TokenCallPool(options.tokenCallConnections);
  }

  /** POSTs a token request once a socket to its origin is free; the deadline starts then. */
  async post(request: TokenEndpointRequest): Promise<TokenEndpointResponse> {
    try {
      return await this.pool.run(request.url, async (agent) => {
        await request.beforeSend?.();
        return postTokenRequest(this.http, agent, request);
      });
    } catch (error) {
      if (error instanceof TokenCallRefusedError) throw new ProviderUnavailableError(request.details, error.message);
      throw error;
    }
  }

  /** Per provider origin: token calls running and queued, and sockets open. */
  connections(): ReturnType<TokenCallPool['stats']> {
    return this.pool.stats();
  }

  onApplicationShutdown(): void {
    this.pool.destroy();
  }
}

/**
 * POSTs a token request. Network failures become typed errors that carry no part of the request (an Axios
 * error holds the request headers and body, i.e. the credentials), and the whole exchange has one deadline.
 */
async function postTokenRequest(
  http: AxiosInstance,
  agent: Agent,
  request: TokenEndpointRequest,
): Promise<TokenEndpointResponse> {
  let response;
  // axios' own timeout only covers socket inactivity; a trickling response must still end on time. A timer we
  // clear, not AbortSignal.timeout(): that one lives on for the whole deadline after the answer, per call.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), request.timeoutMs).unref();
  try {
    response = await http.request<string>({
      method: 'POST',
      url: request.url,
      headers: request.headers,
      data: request.body,
      timeout: request.timeoutMs,
      signal: deadline.signal,
      httpAgent: agent,
      httpsAgent: agent,
    });
  } catch (error) {
    throw toTransportError(error, request);
  } finally {
    clearTimeout(timer);
  }
  const retryAfter: unknown = response.headers['retry-after'];
  return {
    status: response.status,
    json: parseJson(response.data),
    retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
  };
}

/** The failures every token endpoint shares: rate limiting, server errors and redirects. */
export function commonFailure(
  response: TokenEndpointResponse,
  details: PaymentsAuthErrorDetails,
): PaymentsAuthError | undefined {
  const { status } = response;
  if (status === 429) return new RateLimitedError(details, parseRetryAfter(response.retryAfter));
  if (status >= 500) return new ProviderUnavailableError({ ...details, status }, `HTTP ${status}`);
  if (status >= 300 && status < 400)
    return new ProviderUnavailableError({ ...details, status }, `unexpected redirect (HTTP ${status})`);
  return undefined;
}

function toTransportError(error: unknown, request: TokenEndpointRequest): PaymentsAuthError {
  const code = isAxiosError(error) ? error.code : (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || code === 'ERR_CANCELED') {
    return new ProviderTimeoutError(request.details, request.timeoutMs);
  }
  return new ProviderUnavailableError(request.details, code ?? 'network error');
}

function parseJson(text: unknown): unknown {
  if (typeof text !== 'string' || text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
