import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { blinkTokenExpiry } from './blink-token.expiry.js';
import { parseBlinkTokenRequest } from './blink-token.request.js';
import { safeEqual } from './crypto.util.js';
import { applyFault, FaultQueue } from './faults.js';
import {
  type HeaderMap,
  parseBearer,
  parseJsonObject,
  PayloadTooLargeError,
  readBody,
  requestPath,
  sendJson,
  sendRaw,
} from './http.util.js';
import { signHs256, verifyHs256 } from './jwt.util.js';
import { FixedRateWindow } from './rate-limit.window.js';
import { createCounters, resetCounters } from './sandbox.counters.js';
import {
  assertLifetimeSeconds,
  DEFAULT_BLINK_ACCOUNT,
  DEFAULT_BLINK_TOKEN_LIFETIME_SECONDS,
} from './sandbox.defaults.js';
import type { BlinkSandbox, BlinkSandboxAccount, BlinkSandboxOptions } from './sandbox.types.js';
import { listen } from './server-lifecycle.util.js';

const TOKEN_PATH = '/api/pay/v1/tokens';
const INTENTS_PATH = '/api/pay/v1/intents';
const INTENT_PATH = /^\/api\/pay\/v1\/intents\/([^/]+)$/;
const DEFAULT_PAYMENT_TYPES = ['credit-card', 'direct-debit', 'open-banking'];
const DEFAULT_CURRENCIES = ['GBP'];

interface PaymentIntent {
  id: string;
  amount: unknown;
  currency: unknown;
  merchant_id: number;
}

/** Blink's error envelope, used for every non-2xx answer so clients parse one shape. */
function blinkError(error: string, message: string): { success: false; error: string; message: string } {
  return { success: false, error, message };
}

const UNAUTHENTICATED_TOKEN = blinkError('Unauthenticated', 'Invalid or expired token');

export async function startBlinkSandbox(options: BlinkSandboxOptions = {}): Promise<BlinkSandbox> {
  const accounts = new Map<string, BlinkSandboxAccount>();
  const addAccount = (account: BlinkSandboxAccount): void => {
    // A copy, so callers mutating their fixture later cannot change what the server accepts mid-test.
    accounts.set(account.apiKey, {
      ...account,
      paymentTypes: [...(account.paymentTypes ?? DEFAULT_PAYMENT_TYPES)],
      currencies: [...(account.currencies ?? DEFAULT_CURRENCIES)],
    });
  };
  (options.accounts ?? [DEFAULT_BLINK_ACCOUNT]).forEach(addAccount);

  let lifetimeSeconds = options.tokenLifetimeSeconds ?? DEFAULT_BLINK_TOKEN_LIFETIME_SECONDS;
  assertLifetimeSeconds(lifetimeSeconds);

  // Fresh per server: tokens from one sandbox (or an earlier run) are invalid on another, as across accounts.
  const signingSecret = randomBytes(32);
  const counters = createCounters();
  const faults = new FaultQueue();
  const rateWindow = new FixedRateWindow();
  const issued: string[] = [];
  const revoked = new Set<string>();
  let refusingApiCalls = false;
  const intents = new Map<string, PaymentIntent>();

  /** Checks every account with a constant-time compare, so timing reveals neither key. */
  const findAccount = (apiKey: string, secretKey: string): BlinkSandboxAccount | undefined => {
    let found: BlinkSandboxAccount | undefined;
    for (const account of accounts.values()) {
      const matches = safeEqual(account.apiKey, apiKey) && safeEqual(account.secretKey, secretKey);
      if (matches && !found) found = account;
    }
    return found;
  };

  /** Merchant id of a valid, unexpired bearer token; undefined otherwise. */
  const authenticate = (req: IncomingMessage): number | undefined => {
    const token = parseBearer(req.headers.authorization);
    if (!token || revoked.has(token)) return undefined;
    const verification = verifyHs256(token, signingSecret);
    if (!verification.valid) return undefined;
    const merchantId = verification.claims.merchant_id;
    return typeof merchantId === 'number' ? merchantId : undefined;
  };

  const handleToken = async (req: IncomingMessage, res: ServerResponse, closing: AbortSignal): Promise<void> => {
    counters.tokenCalls += 1;
    // Taken on arrival so concurrent requests consume faults in the order they came in.
    const fault = faults.take();
    const rateHeaders: HeaderMap = { 'X-RateLimit-Limit': rateWindow.limit, 'X-RateLimit-Remaining': rateWindow.hit() };
    const reply = (status: number, body: string, contentType: string, headers: HeaderMap = rateHeaders): void => {
      if (status >= 400 && status < 500) counters.rejectedTokenCalls += 1;
      sendRaw(res, status, body, contentType, { 'Cache-Control': 'no-cache, private', ...headers });
    };
    const replyJson = (status: number, body: unknown, headers?: HeaderMap): void =>
      reply(status, JSON.stringify(body), 'application/json', headers);

    let raw: Buffer;
    try {
      raw = await readBody(req);
    } catch (error) {
      if (!(error instanceof PayloadTooLargeError)) throw error;
      replyJson(413, blinkError('Payload Too Large', error.message), { ...rateHeaders, Connection: 'close' });
      return;
    }

    if (fault) {
      const outcome = await applyFault(fault, {
        req,
        successStatus: 201,
        errorBody: (status) => blinkError(status >= 500 ? 'Server Error' : 'Request failed', 'Injected fault'),
        rateLimited: () => ({
          body: blinkError('Too Many Requests', 'Too Many Attempts.'),
          headers: { 'X-RateLimit-Limit': rateWindow.limit, 'X-RateLimit-Remaining': 0 },
        }),
        reply,
        signal: closing,
      });
      if (outcome === 'answered') return;
    }

    const parsed = parseBlinkTokenRequest(parseJsonObject(raw));
    if (!parsed.ok) {
      replyJson(400, blinkError('Validation failed', parsed.message));
      return;
    }
    const { request } = parsed;
    const account = findAccount(request.apiKey, request.secretKey);
    if (!account) {
      replyJson(401, blinkError('Unauthenticated', 'Invalid API credentials'));
      return;
    }

    const { issuedAt, expiresAt, expiredOn } = blinkTokenExpiry(Date.now(), lifetimeSeconds);
    // Unlike Blink's documented example, no secret_key claim: a JWT payload is readable by anyone holding it.
    const accessToken = signHs256(
      { merchant_id: account.merchantId, iat: issuedAt, exp: expiresAt, jti: randomUUID() },
      signingSecret,
    );
    issued.push(accessToken);
    counters.tokenIssued += 1;
    replyJson(201, {
      access_token: accessToken,
      expired_on: expiredOn,
      payment_types: account.paymentTypes,
      currencies: account.currencies,
      payment_api_status: true,
      send_blink_receipt: request.sendBlinkReceipt,
      enable_moto_payments: request.enableMotoPayments,
      address_postcode_required: request.addressPostcodeRequired,
    });
  };

  /** Counts a protected-endpoint call; answers 401 itself and returns undefined when the token is not accepted. */
  const authenticateApiCall = (req: IncomingMessage, res: ServerResponse): number | undefined => {
    counters.apiCalls += 1;
    const merchantId = refusingApiCalls ? undefined : authenticate(req);
    if (merchantId === undefined) {
      counters.apiUnauthorized += 1;
      sendJson(res, 401, UNAUTHENTICATED_TOKEN);
    }
    return merchantId;
  };

  const handleCreateIntent = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const merchantId = authenticateApiCall(req, res);
    if (merchantId === undefined) return;
    let body: Record<string, unknown> | undefined;
    try {
      body = parseJsonObject(await readBody(req));
    } catch (error) {
      if (!(error instanceof PayloadTooLargeError)) throw error;
      sendJson(res, 413, blinkError('Payload Too Large', error.message), { Connection: 'close' });
      return;
    }
    if (!body) {
      sendJson(res, 400, blinkError('Validation failed', 'The request body must be a JSON object.'));
      return;
    }
    const intent: PaymentIntent = {
      id: `pi_${randomBytes(12).toString('hex')}`,
      amount: body.amount ?? null,
      currency: body.currency ?? null,
      merchant_id: merchantId,
    };
    intents.set(intent.id, intent);
    sendJson(res, 201, intent);
  };

  const handleGetIntent = (req: IncomingMessage, res: ServerResponse, intentId: string): void => {
    const merchantId = authenticateApiCall(req, res);
    if (merchantId === undefined) return;
    const intent = intents.get(intentId);
    // Another merchant's intent answers 404, not 403, so ids cannot be probed across accounts.
    if (!intent || intent.merchant_id !== merchantId) {
      sendJson(res, 404, blinkError('Not Found', 'Payment intent not found'));
      return;
    }
    sendJson(res, 200, intent);
  };

  const methodNotAllowed = (res: ServerResponse, allow: string): void =>
    sendJson(res, 405, blinkError('Method Not Allowed', `Use ${allow}`), { Allow: allow });

  const server = await listen(
    async (req, res, closing) => {
      const { pathname } = requestPath(req);
      if (pathname === TOKEN_PATH) {
        return req.method === 'POST' ? handleToken(req, res, closing) : methodNotAllowed(res, 'POST');
      }
      if (pathname === INTENTS_PATH) {
        return req.method === 'POST' ? handleCreateIntent(req, res) : methodNotAllowed(res, 'POST');
      }
      const intentMatch = INTENT_PATH.exec(pathname);
      if (intentMatch) {
        return req.method === 'GET' ? handleGetIntent(req, res, intentMatch[1]) : methodNotAllowed(res, 'GET');
      }
      sendJson(res, 404, blinkError('Not Found', 'Route not found'));
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
      lifetimeSeconds = seconds;
    },
    issuedTokens: () => [...issued],
    revokeAccessTokens: () => issued.forEach((token) => revoked.add(token)),
    refuseApiCalls: (refuse) => {
      refusingApiCalls = refuse;
    },
    addAccount,
    removeAccount: (apiKey) => {
      accounts.delete(apiKey);
    },
  };
}
