import 'reflect-metadata';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { INestApplicationContext } from '@nestjs/common';
import { AppModule } from './app.module.js';
import { checkPayments } from './payments-check.js';

describe('nestjs-payments-auth in a NestJS 12 ESM app (vitest)', () => {
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
