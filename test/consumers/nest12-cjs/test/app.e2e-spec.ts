import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PaymentsAuthExceptionFilter } from 'nestjs-payments-auth';
import { startSandbox, type TestSandbox } from 'nestjs-payments-auth/testing';
import { AppModule } from '../src/app.module';
import { checkPayments } from '../src/payments-check';

// Written from the package's README alone: its own sandbox from nestjs-payments-auth/testing, nothing of the
// library's repository.
describe('nestjs-payments-auth in a NestJS 12 CommonJS app (Jest, on Node 24)', () => {
  let sandbox: TestSandbox;
  let app: INestApplication;
  beforeAll(async () => {
    sandbox = await startSandbox();
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.register({ acme: sandbox.tenant() })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error'] });
    app.useGlobalFilters(new PaymentsAuthExceptionFilter(app.get(HttpAdapterHost)));
    await app.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await app?.close();
    await sandbox?.close();
  });

  it('gets both tokens and calls both providers through PaymentsHttpService', async () => {
    const result = await checkPayments(app, { blink: sandbox.blink.url, blnk: sandbox.blnk.url });
    expect(result).toMatchObject({
      blinkIntentStatus: 201,
      blnkLedgersStatus: 200,
      blnkInstanceId: sandbox.credentials.blnkInstanceId,
      blnkHasRefreshToken: true,
    });
    expect(sandbox.blnk.counters.invalidGrant).toBe(0);
  });

  it('answers an unknown tenant with a 404 carrying its code, through the exported filter', async () => {
    const response = await fetch(`${await app.getUrl()}/tokens/nobody`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ statusCode: 404, error: { code: 'PAYMENTS_AUTH_UNKNOWN_TENANT' } });
  });
});
