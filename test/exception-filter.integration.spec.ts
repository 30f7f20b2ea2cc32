import { type ArgumentsHost, Controller, Get, type INestApplication, Param, UseFilters } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import {
  BlinkTokenService,
  MemoryTokenStore,
  PaymentsAuthExceptionFilter,
  PaymentsAuthModule,
  PaymentsAuthTenants,
  UnknownTenantError,
} from 'nestjs-payments-auth';
import request from 'supertest';
import { type Sandbox, startSandbox } from '@app/sandbox';
import { acmeTenant } from './support/payments-auth.fixture';

/** An app's own controller, calling the library and letting its errors through. */
@Controller('tokens')
class TokensController {
  constructor(
    private readonly blink: BlinkTokenService,
    private readonly tenants: PaymentsAuthTenants,
  ) {}

  @Get(':tenant')
  async token(@Param('tenant') tenant: string): Promise<{ ok: boolean }> {
    await this.blink.getToken(tenant === 'none' ? '' : tenant);
    return { ok: true };
  }

  @Get(':tenant/set-invalid')
  async setInvalid(@Param('tenant') tenant: string): Promise<void> {
    await this.tenants.set(tenant, { blink: { apiKey: 'k' } } as never);
  }
}

/** The same controller with the filter on the controller only (Nest builds it, with its HTTP adapter). */
@Controller('filtered')
@UseFilters(PaymentsAuthExceptionFilter)
class FilteredController extends TokensController {}

// README § Errors › Answering your API's clients: PaymentsAuthExceptionFilter
describe('PaymentsAuthExceptionFilter', () => {
  let sandbox: Sandbox;
  let app: INestApplication;

  beforeAll(async () => {
    sandbox = await startSandbox();
    const moduleRef = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        PaymentsAuthModule.forRoot({ tenants: { acme: acmeTenant(sandbox) }, store: new MemoryTokenStore() }),
      ],
      controllers: [TokensController, FilteredController],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.init();
  });

  afterAll(async () => {
    await app.close();
    await sandbox.close();
  });

  it('answers through Nest without the filter with a 500, which is what it is for', async () => {
    await request(app.getHttpServer()).get('/tokens/nobody').expect(500);
  });

  it('per controller: an unknown tenant is a 404 carrying its code, a missing tenant a 400, invalid tenant configuration a 500 naming no path', async () => {
    const unknown = await request(app.getHttpServer()).get('/filtered/nobody').expect(404);
    expect(unknown.body).toEqual({
      statusCode: 404,
      error: expect.objectContaining({ code: 'PAYMENTS_AUTH_UNKNOWN_TENANT', tenant: 'nobody' }),
    });
    const missing = await request(app.getHttpServer()).get('/filtered/none').expect(400);
    expect(missing.body.error.code).toBe('PAYMENTS_AUTH_NO_TENANT');
    const invalid = await request(app.getHttpServer()).get('/filtered/later/set-invalid').expect(500);
    expect(invalid.body.error).toEqual({ name: 'PaymentsAuthConfigError', code: 'PAYMENTS_AUTH_CONFIG' });
  });

  it('per controller: a rate-limited token call is a 503 with Retry-After, and no secret or token is in any body', async () => {
    sandbox.blink.faults.inject({ kind: 'rate-limit', retryAfter: '2' });
    const limited = await request(app.getHttpServer()).get('/filtered/acme').expect(503);
    expect(limited.headers['retry-after']).toBe('2');
    expect(limited.body.error).toMatchObject({ code: 'PAYMENTS_AUTH_RATE_LIMITED', provider: 'blink', tenant: 'acme' });
    expect(JSON.stringify(limited.body)).not.toMatch(/eyJ|blnk_|TOPSECRET/);
  });

  it('leaves errors outside HTTP (RPC, WebSocket, GraphQL) as they are', () => {
    const error = new UnknownTenantError('nobody');
    const rpc = { getType: () => 'rpc', switchToHttp: () => ({ getResponse: () => ({}) }) } as unknown as ArgumentsHost;
    expect(() => new PaymentsAuthExceptionFilter().catch(error, rpc)).toThrow(error);
  });

  it('globally, constructed with new and no adapter (main.ts), on the response Express gives it', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [PaymentsAuthModule.forRoot({ tenants: { acme: acmeTenant(sandbox) }, store: new MemoryTokenStore() })],
      controllers: [TokensController],
    }).compile();
    const global = moduleRef.createNestApplication({ logger: false });
    global.useGlobalFilters(new PaymentsAuthExceptionFilter());
    await global.init();
    try {
      const unknown = await request(global.getHttpServer()).get('/tokens/nobody').expect(404);
      expect(unknown.body.error.code).toBe('PAYMENTS_AUTH_UNKNOWN_TENANT');
      sandbox.blink.faults.inject({ kind: 'rate-limit', retryAfter: '3' });
      const limited = await request(global.getHttpServer()).get('/tokens/acme').expect(503);
      expect(limited.headers['retry-after']).toBe('3');
    } finally {
      await global.close();
    }
  });
});
