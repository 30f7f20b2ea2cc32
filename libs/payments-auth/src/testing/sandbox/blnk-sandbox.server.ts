import type { IncomingMessage, ServerResponse } from 'node:http';
import { BlnkGrantStore, type BlnkGrantOutcome } from './blnk-grant.store.js';
import { randomToken, safeEqual } from './crypto.util.js';
import { applyFault, FaultQueue, holdWithoutAnswer, pause } from './faults.js';
import {
  type HeaderMap,
  mediaType,
  parseBasicAuth,
  parseForm,
  PayloadTooLargeError,
  readBody,
  requestPath,
  sendJson,
  sendRaw,
} from './http.util.js';
import { createCounters, resetCounters } from './sandbox.counters.js';
import {
  assertLifetimeSeconds,
  DEFAULT_BLNK_API_KEY,
  DEFAULT_BLNK_CLIENT,
  DEFAULT_BLNK_CORE_KEY,
  DEFAULT_BLNK_SEED_REFRESH_TOKEN,
  DEFAULT_BLNK_TOKEN_LIFETIME_SECONDS,
} from './sandbox.defaults.js';
import type { BlnkSandbox, BlnkSandboxClient, BlnkSandboxOptions } from './sandbox.types.js';
import { listen } from './server-lifecycle.util.js';
import { consentPage } from './consent-page.js';
import { blnkDataApi, parseRedirectUri } from './blnk-data-api.js';

const SCOPE = 'data:read data:write proxy:write';
// Token responses must never be cached (RFC 6749 §5.1); errors get the same headers for simplicity.
const TOKEN_HEADERS: HeaderMap = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

export async function startBlnkSandbox(options: BlnkSandboxOptions = {}): Promise<BlnkSandbox> {
  /** Each client's valid secrets: two while a secret is being rotated. */
  const clients = new Map<string, Set<string>>();
  const addClient = (client: BlnkSandboxClient): void => {
    clients.set(client.clientId, new Set([client.clientSecret]));
  };
  (options.clients ?? [DEFAULT_BLNK_CLIENT]).forEach(addClient);
  const apiKeys = new Set(options.apiKeys ?? [DEFAULT_BLNK_API_KEY]);
  const coreKeys = new Set(options.coreKeys ?? [DEFAULT_BLNK_CORE_KEY]);

  const lifetimeSeconds = options.tokenLifetimeSeconds ?? DEFAULT_BLNK_TOKEN_LIFETIME_SECONDS;
  assertLifetimeSeconds(lifetimeSeconds);
  const grants = new BlnkGrantStore(lifetimeSeconds);
  let tokenLatencyMs = options.tokenLatencyMs ?? 0;
  /** Client ports of token requests not answered yet, so a test can tell which process is mid-call. */
  const pendingTokenClients = new Set<number>();
  /** Consent pages shown and not yet answered. */
  const consentNonces = new Set<string>();
  const counters = createCounters();
  const faults = new FaultQueue();
  // One ledger per sandbox: enough for the demo to show data, stable across calls so responses compare equal.
  const ledger = { ledger_id: randomToken('ldg_', 12), name: 'General Ledger', created_at: new Date().toISOString() };

  const requireClient = (clientId: string): void => {
    if (!clients.has(clientId)) throw new Error(`Unknown Blnk sandbox client: ${clientId}`);
  };
  if (clients.has(DEFAULT_BLNK_CLIENT.clientId)) {
    grants.createGrant(DEFAULT_BLNK_CLIENT.clientId, DEFAULT_BLNK_SEED_REFRESH_TOKEN);
  }

  const authenticateClient = (req: IncomingMessage): string | undefined => {
    const credentials = parseBasicAuth(req.headers.authorization);
    if (!credentials) return undefined;
    const secrets = clients.get(credentials.username);
    // Compare even for unknown ids, so a response's timing does not reveal which client ids exist.
    const secretMatches = [...(secrets ?? [''])].some((secret) => safeEqual(secret, credentials.password));
    return secrets !== undefined && secretMatches ? credentials.username : undefined;
  };

  const handleToken = async (req: IncomingMessage, res: ServerResponse, closing: AbortSignal): Promise<void> => {
    const clientPort = req.socket.remotePort ?? 0;
    pendingTokenClients.add(clientPort);
    // A client that died mid-call is no longer waiting, even while a delay still runs here.
    const forget = () => pendingTokenClients.delete(clientPort);
    req.socket.once('close', forget);
    try {
      await answerToken(req, res, closing);
    } finally {
      req.socket.off('close', forget);
      forget();
    }
  };

  const answerToken = async (req: IncomingMessage, res: ServerResponse, closing: AbortSignal): Promise<void> => {
    counters.tokenCalls += 1;
    // Taken on arrival so concurrent requests consume faults in the order they came in.
    const fault = faults.take();
    const reply = (status: number, body: string, contentType: string, headers: HeaderMap = {}): void => {
      if (status >= 400 && status < 500) counters.rejectedTokenCalls += 1;
      sendRaw(res, status, body, contentType, { ...TOKEN_HEADERS, ...headers });
    };
    const replyJson = (status: number, body: unknown, headers?: HeaderMap): void =>
      reply(status, JSON.stringify(body), 'application/json', headers);

    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (error) {
      if (!(error instanceof PayloadTooLargeError)) throw error;
      replyJson(413, { error: 'invalid_request', error_description: error.message }, { Connection: 'close' });
      return;
    }

    if (fault) {
      const outcome = await applyFault(fault, {
        req,
        successStatus: 200,
        errorBody: (status) => ({ error: status >= 500 ? 'server_error' : 'invalid_request' }),
        rateLimited: () => ({ body: { error: 'rate_limited', error_description: 'Too many requests' } }),
        reply,
        signal: closing,
      });
      if (outcome === 'answered') return;
    }
    // A provider across the internet: the time a token call takes before the server acts on it.
    if (tokenLatencyMs > 0 && !(await pause(tokenLatencyMs, { req, signal: closing }))) return;

    const clientId = authenticateClient(req);
    if (!clientId) {
      // RFC 6749 §5.2: a failed Basic authentication answers 401 with a challenge.
      replyJson(
        401,
        { error: 'invalid_client', error_description: 'Client authentication failed' },
        { 'WWW-Authenticate': 'Basic realm="blnk-sandbox"' },
      );
      return;
    }
    if (mediaType(req) !== 'application/x-www-form-urlencoded') {
      replyJson(400, {
        error: 'invalid_request',
        error_description: 'Content-Type must be application/x-www-form-urlencoded',
      });
      return;
    }

    const form = parseForm(raw);
    let outcome: BlnkGrantOutcome;
    switch (form.grant_type) {
      case 'refresh_token':
        if (!form.refresh_token) return replyJson(400, { error: 'invalid_request' });
        outcome = grants.refresh(clientId, form.refresh_token);
        break;
      case 'authorization_code':
        if (!form.code || !form.redirect_uri) return replyJson(400, { error: 'invalid_request' });
        outcome = grants.redeemCode(clientId, form.code, form.redirect_uri, Date.now(), form.code_verifier);
        break;
      case undefined:
      case '':
        return replyJson(400, { error: 'invalid_request' });
      default:
        return replyJson(400, { error: 'unsupported_grant_type' });
    }

    if (!outcome.ok) {
      counters.invalidGrant += 1;
      replyJson(400, { error: 'invalid_grant', error_description: outcome.description });
      return;
    }
    counters.tokenIssued += 1;
    if (fault?.kind === 'lose-answer') {
      await holdWithoutAnswer(req, closing);
      return;
    }
    replyJson(fault?.kind === 'corrupt-answer' ? (fault.status ?? 200) : 200, {
      access_token: outcome.tokens.accessToken,
      token_type: 'Bearer',
      expires_in: outcome.tokens.expiresIn,
      refresh_token: outcome.tokens.refreshToken,
      scope: SCOPE,
      ...(fault?.kind === 'corrupt-answer' && fault.replace),
    });
  };

  /**
   * The authorization endpoint. Without `consentPage` it approves at once and redirects back with a code (for
   * tests); with it, it shows a consent page whose Allow and Deny buttons post to /oauth/authorize/decision.
   */
  const authorize = (params: URLSearchParams, decision: 'ask' | 'allow' | 'deny', res: ServerResponse): void => {
    const clientId = params.get('client_id') ?? '';
    const redirectUri = params.get('redirect_uri') ?? '';
    const location = parseRedirectUri(redirectUri);
    const responseType = params.get('response_type');
    // Per RFC 6749 §4.1.2.1, never redirect when the client or redirect URI is invalid: answer directly.
    if (!clients.has(clientId) || !location || (responseType !== null && responseType !== 'code')) {
      sendJson(res, 400, { error: 'invalid_request' });
      return;
    }
    if (decision === 'ask') {
      // A one-time nonce binds the decision to this page, so another site cannot post an Allow without a click.
      const nonce = randomToken('consent_', 16);
      consentNonces.add(nonce);
      const page = consentPage(clientId, params, nonce);
      sendRaw(res, 200, page, 'text/html; charset=utf-8', {
        'Cache-Control': 'no-store',
        'X-Frame-Options': 'DENY',
        'Content-Security-Policy': "frame-ancestors 'none'",
      });
      return;
    }
    const challenge = params.get('code_challenge') ?? undefined;
    const challengeMethod = params.get('code_challenge_method');
    // RFC 7636 §4.2/§4.4.1: S256 only (plain protects nothing), a 43-character base64url digest.
    if (challenge !== undefined && (challengeMethod !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge))) {
      location.searchParams.set('error', 'invalid_request');
      location.searchParams.set('error_description', 'code_challenge_method must be S256 with a SHA-256 challenge');
    } else if (decision === 'deny') {
      location.searchParams.set('error', 'access_denied'); // RFC 6749 §4.1.2.1
    } else {
      // The code is bound to the redirect_uri exactly as sent (not URL-normalised): the exchange must repeat it.
      location.searchParams.set('code', grants.issueCode(clientId, redirectUri, Date.now(), challenge));
    }
    const state = params.get('state');
    if (state !== null) location.searchParams.set('state', state);
    res.writeHead(302, { Location: location.href, 'Cache-Control': 'no-store', 'Content-Length': 0 });
    res.end();
  };

  const handleAuthorize = (req: IncomingMessage, res: ServerResponse): void =>
    authorize(requestPath(req).searchParams, options.consentPage ? 'ask' : 'allow', res);

  const handleDecision = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const params = new URLSearchParams(parseForm(await readBody(req)));
    const decision = params.get('decision');
    const nonce = params.get('consent') ?? '';
    params.delete('decision');
    params.delete('consent');
    if (!consentNonces.delete(nonce)) {
      sendJson(res, 400, { error: 'invalid_request', error_description: 'unknown or used consent page' });
      return;
    }
    authorize(params, decision === 'allow' ? 'allow' : 'deny', res);
  };

  const { handleDataLedgers, handleCoreLedgers } = blnkDataApi({ counters, ledger, apiKeys, coreKeys, grants });

  const routes = new Map<string, { method: string; handle: typeof handleToken }>([
    ['/oauth/token', { method: 'POST', handle: handleToken }],
    ['/oauth/authorize', { method: 'GET', handle: async (req, res) => handleAuthorize(req, res) }],
    ['/oauth/authorize/decision', { method: 'POST', handle: async (req, res) => handleDecision(req, res) }],
    ['/data/ledgers', { method: 'GET', handle: async (req, res) => handleDataLedgers(req, res) }],
    ['/ledgers', { method: 'GET', handle: async (req, res) => handleCoreLedgers(req, res) }],
  ]);

  const server = await listen(
    async (req, res, closing) => {
      const route = routes.get(requestPath(req).pathname);
      if (!route) return sendJson(res, 404, { error: 'not_found' });
      if (req.method !== route.method) {
        return sendJson(res, 405, { error: 'method_not_allowed' }, { Allow: route.method });
      }
      return route.handle(req, res, closing);
    },
    { host: options.host, port: options.port },
  );

  return {
    url: server.url,
    connections: server.connections,
    counters,
    faults,
    resetCounters: () => resetCounters(counters),
    close: server.close,
    setTokenLifetimeSeconds: (seconds) => {
      assertLifetimeSeconds(seconds);
      grants.setLifetimeSeconds(seconds);
    },
    createGrant: (clientId) => {
      requireClient(clientId);
      return grants.createGrant(clientId);
    },
    issueAuthorizationCode: (clientId, redirectUri) => {
      requireClient(clientId);
      return grants.issueCode(clientId, redirectUri);
    },
    isGrantRevoked: (refreshToken) => grants.isGrantRevoked(refreshToken),
    issuedTokens: () => grants.issuedTokens(),
    revokeAccessTokens: () => grants.revokeAccessTokens(),
    addClient,
    addClientSecret: (clientId, secret) => {
      requireClient(clientId);
      clients.get(clientId)?.add(secret);
    },
    retireClientSecret: (clientId, secret) => {
      requireClient(clientId);
      clients.get(clientId)?.delete(secret);
    },
    setTokenLatencyMs: (ms) => {
      tokenLatencyMs = ms;
    },
    pendingTokenClients: () => [...pendingTokenClients],
  };
}
