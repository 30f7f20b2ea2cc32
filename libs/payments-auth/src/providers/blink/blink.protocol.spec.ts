import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MalformedResponseError } from '../../errors/malformed-response.error.js';
import { ProviderRejectedError } from '../../errors/provider-rejected.error.js';
import { ProviderUnavailableError } from '../../errors/provider-unavailable.error.js';
import { ReauthorizationRequiredError } from '../../errors/reauthorization-required.error.js';
import { validateModuleOptions } from '../../options/module-options.validator.js';
import { MemoryTokenStore } from '../../stores/memory.store.js';
import { PROVIDERS } from '../provider-list.js';
import { TokenHttpClient } from '../token-endpoint.client.js';
import { BlinkProtocol } from './blink.protocol.js';
import type { ValidatedBlinkConfig } from './blink.rules.js';

interface Received {
  method: string;
  path: string;
  contentType?: string;
  body: Record<string, unknown>;
}

const SECRET = 'TOPSECRET-blink-secret-key';
const API_KEY = 'TOPSECRET-blink-api-key';

/** Blink's token protocol over real HTTP, against an endpoint on 127.0.0.1 that answers what each test scripted. */
// README § Quick start (Blink: POST /api/pay/v1/tokens with the key pair, a new token each time)
describe('BlinkProtocol', () => {
  let server: Server;
  let baseUrl: string;
  let http: TokenHttpClient;
  let protocol: BlinkProtocol;
  let received: Received[] = [];
  let answer: { status: number; body: unknown } = { status: 500, body: {} };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        received.push({
          method: req.method ?? '',
          path: req.url ?? '',
          contentType: req.headers['content-type'],
          body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
        });
        res.writeHead(answer.status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const options = validateModuleOptions(
      { tenants: {}, store: new MemoryTokenStore(), tokenCallTimeoutMs: 10_000 },
      PROVIDERS.map((definition) => definition.rules),
    );
    http = new TokenHttpClient(options);
    protocol = new BlinkProtocol(http, options);
  });

  afterAll(async () => {
    http.onApplicationShutdown();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    received = [];
  });

  const config = (extra: Partial<ValidatedBlinkConfig> = {}): ValidatedBlinkConfig => ({
    apiKey: API_KEY,
    secretKey: SECRET,
    baseUrl,
    ...extra,
  });
  const failure = async (status: number, body: unknown) => {
    answer = { status, body };
    return protocol.acquire(config(), 'acme').then(
      () => {
        throw new Error('expected a failure');
      },
      (error: unknown) => error as Error & { providerErrorCode?: string; status?: number },
    );
  };

  it('posts the key pair as the documented JSON body, the flags false unless set', async () => {
    answer = {
      status: 201,
      body: { access_token: 'opaque-1', expired_on: new Date(Date.now() + 600_000).toISOString() },
    };
    const token = await protocol.acquire(config(), 'acme');
    expect(token.accessToken).toBe('opaque-1');
    expect(received).toEqual([
      {
        method: 'POST',
        path: '/api/pay/v1/tokens',
        contentType: 'application/json',
        body: {
          api_key: API_KEY,
          secret_key: SECRET,
          send_blink_receipt: false,
          address_postcode_required: false,
          enable_moto_payments: false,
        },
      },
    ]);
    answer = { status: 200, body: { access_token: 'opaque-2' } };
    await protocol.acquire(
      config({
        sendBlinkReceipt: true,
        addressPostcodeRequired: true,
        enableMotoPayments: true,
        applicationName: 'shop',
        applicationDescription: 'the shop',
        sourceSite: 'shop.example',
      }),
      'acme',
    );
    expect(received[1].body).toEqual({
      api_key: API_KEY,
      secret_key: SECRET,
      send_blink_receipt: true,
      address_postcode_required: true,
      enable_moto_payments: true,
      application_name: 'shop',
      application_description: 'the shop',
      source_site: 'shop.example',
    });
  });

  it('names the credential by base URL and key (never the secret), mints new tokens, rotates nothing', () => {
    expect(protocol.credentialIdentity(config())).toBe(`${baseUrl}\n${API_KEY}`);
    expect(protocol.credentialIdentity(config())).not.toContain(SECRET);
    expect(protocol.audience(config())).toBe(baseUrl);
    expect(protocol.rotatesRefreshTokens).toBe(false);
    expect(protocol.provider).toBe('blink');
  });

  it.each([401, 403])(
    'takes a %i as refused keys: re-authorization, with the code and message made safe',
    async (status) => {
      const error = await failure(status, { success: false, error: 'invalid_keys', message: `bad key ${SECRET}` });
      expect(error).toBeInstanceOf(ReauthorizationRequiredError);
      expect(error.providerErrorCode).toBe('invalid_keys');
      expect(error.message).toContain('bad key [REDACTED]');
      expect(error.message).not.toContain(SECRET);
    },
  );

  it('redacts the previous access token too (it carries the secret key in its payload)', async () => {
    answer = { status: 400, body: { message: 'refused TOPSECRET-previous-jwt' } };
    const previous = { accessToken: 'TOPSECRET-previous-jwt', issuedAt: 0, expiresAt: 1, version: 1 };
    const error = (await protocol.acquire(config(), 'acme', previous).catch((caught: unknown) => caught)) as Error;
    expect(error.message).toContain('refused [REDACTED]');
  });

  it('takes another 4xx as a rejection, named by the HTTP status when the body says nothing', async () => {
    const error = await failure(422, 'not an object');
    expect(error).toBeInstanceOf(ProviderRejectedError);
    expect(error.message).toContain('HTTP 422');
    expect(error.providerErrorCode).toBeUndefined();
    const echoed = await failure(400, { error: API_KEY, message: 'no' });
    expect(echoed.providerErrorCode).toBeUndefined(); // an echoed key is no error code
  });

  it('takes a 5xx as unavailable, and an unexpected 2xx as malformed', async () => {
    expect(await failure(503, {})).toBeInstanceOf(ProviderUnavailableError);
    const odd = await failure(204, {});
    expect(odd).toBeInstanceOf(MalformedResponseError);
    expect(odd.message).toContain('unexpected HTTP 204');
  });
});
