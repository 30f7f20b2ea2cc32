/*
 * The same API call made four ways, each the way its library's README shows, against the same sandbox:
 * ours (PaymentsHttpService), axios-auth-refresh, @badgateway/oauth2-client's OAuth2Fetch, and a naive client
 * that fetches a token for every request. Each `send()` resolves with the HTTP status and never throws.
 */
import * as http from 'node:http';
import { INestApplicationContext } from '@nestjs/common';
import { OAuth2Client, OAuth2Fetch, OAuth2Token } from '@badgateway/oauth2-client';
import axios, { AxiosError, AxiosInstance } from 'axios';
import createAuthRefresh from 'axios-auth-refresh';
import { firstValueFrom } from 'rxjs';
import { PaymentsHttpService, TenantConfig } from 'nestjs-payments-auth';
import { DEFAULT_BLINK_ACCOUNT, DEFAULT_BLNK_CLIENT } from '@app/sandbox';
import { BLNK_INSTANCE, sandboxTenant, startBenchApp } from './bench-app';

export type Provider = 'blink' | 'blnk';
export type ClientName =
  'payments-auth' | 'axios-auth-refresh' | 'axios-auth-refresh, no dedup' | 'OAuth2Fetch' | 'naive';
export const PEERS: ClientName[] = ['axios-auth-refresh', 'axios-auth-refresh, no dedup', 'OAuth2Fetch', 'naive'];

export interface BenchClient {
  send(): Promise<number>;
  close(): Promise<void>;
}

export interface ClientTarget {
  provider: Provider;
  blinkUrl: string;
  blnkUrl: string;
  /** Blnk: the grant's first refresh token (each client needs its own grant, since refresh tokens rotate). */
  refreshToken?: string;
  /** Passed to ours; the peers read nothing but the token endpoint's own fields. */
  scheduledRenewal?: { enabled: boolean };
}

/** Every Axios-based client gets the same pool, so only the token handling differs. */
const agentOptions: http.AgentOptions = { keepAlive: true, maxSockets: 256 };

interface MintedToken {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: number;
}

/** One token-endpoint call, as a hand-written client would make it. */
function tokenMinter(target: ClientTarget, tokenHttp: AxiosInstance): () => Promise<MintedToken> {
  if (target.provider === 'blink') {
    return async () => {
      const { data } = await tokenHttp.post<{ access_token: string; expired_on: string }>(
        `${target.blinkUrl}/api/pay/v1/tokens`,
        {
          api_key: DEFAULT_BLINK_ACCOUNT.apiKey,
          secret_key: DEFAULT_BLINK_ACCOUNT.secretKey,
        },
      );
      return { accessToken: data.access_token, refreshToken: null, expiresAt: Date.parse(data.expired_on) };
    };
  }
  let refreshToken = target.refreshToken as string;
  return async () => {
    const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken });
    const { data } = await tokenHttp.post<{ access_token: string; refresh_token: string; expires_in: number }>(
      `${target.blnkUrl}/oauth/token`,
      form,
      {
        auth: { username: DEFAULT_BLNK_CLIENT.clientId, password: DEFAULT_BLNK_CLIENT.clientSecret },
      },
    );
    refreshToken = data.refresh_token;
    return { accessToken: data.access_token, refreshToken, expiresAt: Date.now() + data.expires_in * 1000 };
  };
}

function apiRequest(target: ClientTarget): { method: 'GET' | 'POST'; url: string; body?: unknown } {
  return target.provider === 'blink'
    ? { method: 'POST', url: `${target.blinkUrl}/api/pay/v1/intents`, body: { amount: 100, currency: 'GBP' } }
    : { method: 'GET', url: `${target.blnkUrl}/data/ledgers?instance_id=${BLNK_INSTANCE}` };
}

const statusOf = (error: unknown): number => (error as AxiosError)?.response?.status ?? 0;

async function ours(target: ClientTarget): Promise<BenchClient> {
  const both = sandboxTenant(target, target.refreshToken);
  const tenant: TenantConfig = target.provider === 'blink' ? { blink: both.blink } : { blnk: both.blnk };
  const app: INestApplicationContext = await startBenchApp({
    tenants: { acme: tenant },
    defaultTenant: 'acme',
    http: { httpAgent: new http.Agent(agentOptions) },
    ...(target.scheduledRenewal ? { scheduledRenewal: target.scheduledRenewal } : {}),
  });
  const httpService = app.get(PaymentsHttpService);
  const { method, url, body } = apiRequest(target);
  const path = target.provider === 'blink' ? url : `${target.blnkUrl}/data/ledgers`; // ours adds instance_id itself
  return {
    send: () => firstValueFrom(httpService.request({ method, url: path, data: body })).then((r) => r.status, statusOf),
    close: () => app.close(),
  };
}

/**
 * axios-auth-refresh's README setup: attach the stored token, refresh on 401 and replay. By default
 * (`deduplicateRefresh: true`) a 401 that arrives while a refresh runs is rejected, not replayed
 * (Flyrell/axios-auth-refresh#307); `deduplicateRefresh: false` is the workaround users apply.
 */
function axiosAuthRefresh(target: ClientTarget, deduplicateRefresh: boolean): BenchClient {
  const instance = axios.create({ httpAgent: new http.Agent(agentOptions) });
  const mint = tokenMinter(target, axios.create({ httpAgent: new http.Agent(agentOptions) }));
  let accessToken: string | undefined;
  instance.interceptors.request.use((config) => {
    if (accessToken) config.headers.Authorization = `Bearer ${accessToken}`;
    return config;
  });
  createAuthRefresh(
    instance,
    async (failed: AxiosError) => {
      accessToken = (await mint()).accessToken;
      if (failed.response) failed.response.config.headers.Authorization = `Bearer ${accessToken}`;
    },
    { deduplicateRefresh },
  );
  const { method, url, body } = apiRequest(target);
  return {
    send: () => instance.request({ method, url, data: body }).then((r) => r.status, statusOf),
    close: async () => undefined,
  };
}

/** OAuth2Fetch as its README shows: getNewToken for the first token, the client's refresh grant after. */
function oauth2Fetch(target: ClientTarget): BenchClient {
  const client = new OAuth2Client({
    server: target.provider === 'blink' ? target.blinkUrl : target.blnkUrl,
    tokenEndpoint: '/oauth/token',
    clientId: DEFAULT_BLNK_CLIENT.clientId,
    clientSecret: DEFAULT_BLNK_CLIENT.clientSecret,
    // Blnk documents Basic base64(client_id:client_secret) as `curl -u` sends it; the library's plain
    // client_secret_basic form-encodes '_' first (RFC 6749 §2.3.1), which Blnk's format does not decode.
    authenticationMethod: 'client_secret_basic_interop',
  });
  // Blink has no refresh grant, so getNewToken mints; for Blnk it spends the grant's first refresh token.
  const mint = tokenMinter(target, axios.create({ httpAgent: new http.Agent(agentOptions) }));
  const wrapper = new OAuth2Fetch({ client, getNewToken: (): Promise<OAuth2Token> => mint() });
  const { method, url, body } = apiRequest(target);
  const init: RequestInit = {
    method,
    ...(body ? { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } } : {}),
  };
  return {
    send: () =>
      wrapper.fetch(url, init).then(
        async (response) => {
          await response.arrayBuffer();
          return response.status;
        },
        () => 0,
      ),
    close: async () => undefined,
  };
}

/** The floor: a token-endpoint call before every request (Blink only: a rotating Blnk grant cannot work so). */
function naive(target: ClientTarget): BenchClient {
  const instance = axios.create({ httpAgent: new http.Agent(agentOptions) });
  const mint = tokenMinter(target, instance);
  const { method, url, body } = apiRequest(target);
  return {
    send: async () => {
      try {
        const { accessToken } = await mint();
        return (
          await instance.request({ method, url, data: body, headers: { Authorization: `Bearer ${accessToken}` } })
        ).status;
      } catch (error) {
        return statusOf(error);
      }
    },
    close: async () => undefined,
  };
}

export async function createClient(name: ClientName, target: ClientTarget): Promise<BenchClient> {
  switch (name) {
    case 'payments-auth':
      return ours(target);
    case 'axios-auth-refresh':
      return axiosAuthRefresh(target, true);
    case 'axios-auth-refresh, no dedup':
      return axiosAuthRefresh(target, false);
    case 'OAuth2Fetch':
      return oauth2Fetch(target);
    case 'naive':
      return naive(target);
  }
}
