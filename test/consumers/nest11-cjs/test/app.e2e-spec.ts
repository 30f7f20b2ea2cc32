import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import type { INestApplicationContext } from '@nestjs/common';
import { AppModule } from '../src/app.module';
import { checkPayments } from '../src/payments-check';

describe('nestjs-payments-auth in a NestJS 11 CommonJS app (Jest)', () => {
  let app: INestApplicationContext;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = await moduleRef.init();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('gets both tokens and calls both providers through PaymentsHttpService', async () => {
    const result = await checkPayments(app);
    expect(result).toMatchObject({
      blinkIntentStatus: 201,
      blnkLedgersStatus: 200,
      blnkInstanceId: 'inst_consumer',
      blnkHasRefreshToken: true,
    });
  });
});
