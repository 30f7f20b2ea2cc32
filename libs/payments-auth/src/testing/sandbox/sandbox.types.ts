import type { ConnectionStats } from './server-lifecycle.util.js';
import type { FaultInjector } from './faults.js';

export interface SandboxCounters {
  /** Every request to the token endpoint, including faulted and rejected ones. */
  tokenCalls: number;
  tokenIssued: number;
  /** 4xx answers on the token endpoint, injected ones included. */
  rejectedTokenCalls: number;
  /** Blnk only: invalid_grant answers (unknown, revoked or reused refresh tokens, bad codes). */
  invalidGrant: number;
  /** Requests to the protected endpoints. */
  apiCalls: number;
  apiUnauthorized: number;
}

export interface SandboxServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  /** Live object: read fields after each request rather than keeping a copy. */
  counters: SandboxCounters;
  faults: FaultInjector;
  resetCounters(): void;
  /** TCP connections accepted since start, and the most open at once. */
  connections(): ConnectionStats;
  /** Closes the server and destroys every open socket, so keep-alive clients cannot make it hang. */
  close(): Promise<void>;
  /** Applies to tokens issued from now on. */
  setTokenLifetimeSeconds(seconds: number): void;
  /**
   * Makes every access token issued so far fail on the protected endpoints while its client still believes
   * it valid, as after a provider-side key rotation: the way to provoke a 401 on a cached token. Refresh
   * tokens and grants are untouched.
   */
  revokeAccessTokens(): void;
}

export interface BlinkSandboxAccount {
  apiKey: string;
  secretKey: string;
  merchantId: number;
  paymentTypes?: string[];
  currencies?: string[];
}

export interface BlnkSandboxClient {
  clientId: string;
  clientSecret: string;
}

export interface BlinkSandbox extends SandboxServer {
  /** Every access token issued so far, oldest first. */
  issuedTokens(): string[];
  /** Adds an account, replacing one with the same apiKey. */
  addAccount(account: BlinkSandboxAccount): void;
  /** The key pair stops working for token calls at once (tokens already issued stay valid until they expire). */
  removeAccount(apiKey: string): void;
  /** While on, the protected endpoints answer 401 to every token, new ones included (a provider-side outage of auth). */
  refuseApiCalls(refuse: boolean): void;
}

export interface BlnkSandbox extends SandboxServer {
  /** Creates a grant for the client (as if it had completed onboarding) and returns its first refresh token. */
  createGrant(clientId: string): string;
  /** A single-use code redeemable with grant_type=authorization_code and the same redirect_uri. */
  issueAuthorizationCode(clientId: string, redirectUri: string): string;
  /** True when the grant the refresh token belongs to was revoked; false for unknown tokens. */
  isGrantRevoked(refreshToken: string): boolean;
  /** Every access and refresh token issued so far, oldest first. */
  issuedTokens(): string[];
  /** Adds a client, replacing one with the same clientId (and all its secrets). */
  addClient(client: BlnkSandboxClient): void;
  /** A second valid secret for a client, as during a secret rotation: both work until one is retired. */
  addClientSecret(clientId: string, clientSecret: string): void;
  /** The secret stops working for token calls at once (tokens already issued stay valid). */
  retireClientSecret(clientId: string, clientSecret: string): void;
  /** Every later token call waits this long before the server acts on it (a provider across the internet). */
  setTokenLatencyMs(ms: number): void;
  /** Client-side ports of token requests still unanswered (delayed, slow or answer-lost). */
  pendingTokenClients(): number[];
}

export interface BlinkSandboxOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Replaces the default account list ([DEFAULT_BLINK_ACCOUNT]). */
  accounts?: BlinkSandboxAccount[];
  /** Default 1800, like Blink's 30-minute tokens. */
  tokenLifetimeSeconds?: number;
}

export interface BlnkSandboxOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Replaces the default client list ([DEFAULT_BLNK_CLIENT]); the seed grant exists only for the default client. */
  clients?: BlnkSandboxClient[];
  /** Default 3600, as in Blnk Cloud's documented response. */
  tokenLifetimeSeconds?: number;
  /** Delay before each token call is acted on (default 0). */
  tokenLatencyMs?: number;
  /** Valid static Cloud API keys (`blnk_...`); default [DEFAULT_BLNK_API_KEY]. */
  apiKeys?: string[];
  /** Valid Blnk Core `X-Blnk-Key` values; default [DEFAULT_BLNK_CORE_KEY]. */
  coreKeys?: string[];
  /** /oauth/authorize shows a consent page with Allow and Deny (default: approves at once, for tests). */
  consentPage?: boolean;
}

export interface SandboxOptions {
  /** Default '127.0.0.1'. */
  host?: string;
  /** 0 (default) picks a free port. */
  blinkPort?: number;
  blnkPort?: number;
  blink?: { accounts?: BlinkSandboxAccount[]; tokenLifetimeSeconds?: number };
  blnk?: {
    clients?: BlnkSandboxClient[];
    tokenLifetimeSeconds?: number;
    tokenLatencyMs?: number;
    apiKeys?: string[];
    coreKeys?: string[];
    consentPage?: boolean;
  };
}

export interface Sandbox {
  blink: BlinkSandbox;
  blnk: BlnkSandbox;
  close(): Promise<void>;
}
