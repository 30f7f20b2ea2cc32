import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import {
  BlinkTokenService,
  BlnkTokenService,
  MemoryTokenStore,
  PaymentsAuthConfigError,
  PaymentsAuthModule,
  PaymentsAuthModuleOptions,
  type PaymentsAuthForRootAsyncOptions,
  type PaymentsAuthOptionsFactory,
} from 'nestjs-payments-auth';
import { DEFAULT_BLINK_ACCOUNT, Sandbox, startSandbox } from '@app/sandbox';
import { acmeTenant } from './support/payments-auth.fixture';

describe('PaymentsAuthModule', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox();
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('fails the application start with one error naming every bad field, no secret values', async () => {
    const compiling = Test.createTestingModule({
      imports: [
        PaymentsAuthModule.forRoot({
          tenants: {
            acme: { blink: { apiKey: DEFAULT_BLINK_ACCOUNT.apiKey, secretKey: '' } },
            beta: { blnk: { mode: 'core', apiKey: 'TOPSECRET-core-key' } as never },
          },
          renewalMarginMaxRatio: 3,
        }),
      ],
    }).compile();
    const error = await compiling.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PaymentsAuthConfigError);
    const message = (error as Error).message;
    for (const path of ['tenants.acme.blink.secretKey', 'tenants.beta.blnk.baseUrl', 'renewalMarginMaxRatio']) {
      expect(message).toContain(path);
    }
    expect(message).not.toContain('TOPSECRET');
    expect(message).not.toContain(DEFAULT_BLINK_ACCOUNT.apiKey);
  });

  // README § Stores: choosing one › Your own store (part of a capability, or the flat 0.x contract, is refused at start-up)
  it('fails the application start for a store with part of a capability or the flat 0.x members, naming each', async () => {
    const memory = new MemoryTokenStore();
    const store = {
      get: memory.get.bind(memory),
      set: memory.set.bind(memory),
      delete: memory.delete.bind(memory),
      leases: { acquire: async () => 'owner', release: async () => undefined },
      readGeneration: async () => undefined,
    };
    const compiling = Test.createTestingModule({
      imports: [PaymentsAuthModule.forRoot({ tenants: {}, store } as never)],
    }).compile();
    const error = await compiling.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PaymentsAuthConfigError);
    expect((error as PaymentsAuthConfigError).issues.map((issue) => issue.path)).toEqual([
      'store.compareAndSet',
      'store.leases.extend',
      'store.readGeneration',
    ]);
    expect((error as Error).message).toContain(
      'store.readGeneration: is a member of the 0.x flat store contract: rename it to generations.read',
    );
  });

  // README § Quick start
  it('forRootAsync with useFactory reads @nestjs/config and is global when asked', async () => {
    @Injectable()
    class PaymentsConsumer {
      constructor(readonly blink: BlinkTokenService) {}
    }
    @Module({ providers: [PaymentsConsumer], exports: [PaymentsConsumer] })
    class FeatureModule {}

    const app = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ blinkUrl: sandbox.blink.url })] }),
        PaymentsAuthModule.forRootAsync({
          isGlobal: true,
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService): PaymentsAuthModuleOptions => ({
            tenants: {
              acme: {
                blink: {
                  apiKey: DEFAULT_BLINK_ACCOUNT.apiKey,
                  secretKey: DEFAULT_BLINK_ACCOUNT.secretKey,
                  baseUrl: config.getOrThrow<string>('blinkUrl'),
                },
              },
            },
            defaultTenant: 'acme',
            store: new MemoryTokenStore(),
          }),
        }),
        FeatureModule,
      ],
    }).compile();
    try {
      const consumer = app.get(PaymentsConsumer);
      await expect(consumer.blink.getToken('acme')).resolves.toEqual(expect.any(String));
    } finally {
      await app.close();
    }
  });

  // README § Configuration reference
  it('is not global unless isGlobal is set: a module that does not import it cannot inject its services', async () => {
    @Injectable()
    class PaymentsConsumer {
      constructor(readonly blink: BlinkTokenService) {}
    }
    @Module({ providers: [PaymentsConsumer] })
    class FeatureModule {}
    const options = { tenants: { acme: acmeTenant(sandbox) }, store: new MemoryTokenStore() };
    for (const forRoot of [
      PaymentsAuthModule.forRoot(options),
      PaymentsAuthModule.forRootAsync({ useFactory: () => options }),
    ]) {
      const failing = await Test.createTestingModule({ imports: [forRoot, FeatureModule] })
        .compile()
        .catch((error: unknown) => error);
      expect(String(failing)).toMatch(/can't resolve dependencies of the PaymentsConsumer/i);
    }
    const app = await Test.createTestingModule({
      imports: [PaymentsAuthModule.forRoot({ ...options, isGlobal: true }), FeatureModule],
    }).compile();
    await app.close();
  });

  // README § Quick start (useClass, useExisting)
  it('forRootAsync with useClass builds options from an injectable factory class', async () => {
    @Injectable()
    class OptionsFactory implements PaymentsAuthOptionsFactory {
      createPaymentsAuthOptions(): PaymentsAuthModuleOptions {
        return { tenants: { acme: acmeTenant(sandbox) }, defaultTenant: 'acme', store: new MemoryTokenStore() };
      }
    }
    const asyncOptions: PaymentsAuthForRootAsyncOptions = { useClass: OptionsFactory, isGlobal: false };
    const app = await Test.createTestingModule({
      imports: [PaymentsAuthModule.forRootAsync(asyncOptions)],
    }).compile();
    try {
      await expect(app.get(BlinkTokenService).getToken('acme')).resolves.toEqual(expect.any(String));
    } finally {
      await app.close();
    }
  });

  it('an async factory whose options fail validation fails the start', async () => {
    const failing = await Test.createTestingModule({
      imports: [PaymentsAuthModule.forRootAsync({ useFactory: async () => ({ tenants: { x: {} } }) })],
    })
      .compile()
      .catch((error: unknown) => error);
    expect(failing).toBeInstanceOf(PaymentsAuthConfigError);
    expect((failing as PaymentsAuthConfigError).issues).toEqual([
      { path: 'tenants.x', problem: expect.stringContaining('at least one provider') },
    ]);
  });

  it('forRootAsync with useExisting shares an options factory from another module', async () => {
    @Injectable()
    class SharedOptions implements PaymentsAuthOptionsFactory {
      createPaymentsAuthOptions(): PaymentsAuthModuleOptions {
        return { tenants: { acme: acmeTenant(sandbox) }, defaultTenant: 'acme', store: new MemoryTokenStore() };
      }
    }
    @Module({ providers: [SharedOptions], exports: [SharedOptions] })
    class OptionsModule {}

    const app = await Test.createTestingModule({
      imports: [PaymentsAuthModule.forRootAsync({ imports: [OptionsModule], useExisting: SharedOptions })],
    }).compile();
    try {
      await expect(app.get(BlnkTokenService).getToken('acme')).resolves.toEqual(expect.any(String));
    } finally {
      await app.close();
    }
  });
});
