import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import {
  BlinkTokenService,
  MemoryTokenStore,
  PaymentsAuthConfigError,
  PaymentsAuthModule,
  tenantsFromEnvironment,
} from 'nestjs-payments-auth';
import { DEFAULT_BLINK_ACCOUNT, type Sandbox, startSandbox } from '@app/sandbox';

const TENANTS = JSON.stringify({
  acme: {
    blink: { apiKey: '${ACME_BLINK_KEY}', secretKey: '${ACME_BLINK_SECRET}', baseUrl: '${BLINK_URL}' },
    blnk: { mode: 'api-key', apiKey: '${ACME_BLNK_KEY}' },
  },
});

/** The module configured as the README shows: ConfigModule, forRootAsync, tenants from the environment. */
function appWith(sandbox: Sandbox, env: Record<string, string>) {
  return Test.createTestingModule({
    imports: [
      PaymentsAuthModule.forRootAsync({
        imports: [ConfigModule.forRoot({ ignoreEnvFile: true, ignoreEnvVars: true, load: [() => env] })],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({
          tenants: tenantsFromEnvironment(config),
          store: new MemoryTokenStore(),
        }),
      }),
    ],
  }).compile();
}

// README § Quick start › Configuration from the environment
describe('tenants from the environment through @nestjs/config', () => {
  let sandbox: Sandbox;
  const env = (): Record<string, string> => ({
    PAYMENTS_AUTH_TENANTS: TENANTS,
    ACME_BLINK_KEY: DEFAULT_BLINK_ACCOUNT.apiKey,
    ACME_BLINK_SECRET: DEFAULT_BLINK_ACCOUNT.secretKey,
    BLINK_URL: sandbox.blink.url,
    ACME_BLNK_KEY: 'blnk_static_key_1',
  });

  beforeAll(async () => {
    sandbox = await startSandbox();
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('starts and gets a Blink token with the credentials the references point to', async () => {
    const app = await appWith(sandbox, env());
    await app.init();
    try {
      const token = await app.get(BlinkTokenService).getToken('acme');
      expect(token.split('.')).toHaveLength(3);
    } finally {
      await app.close();
    }
  });

  it('fails at bootstrap naming the field and the variable that is not set, and the module validates the rest', async () => {
    const { ACME_BLINK_SECRET: _unset, ...missing } = env();
    await expect(appWith(sandbox, missing)).rejects.toMatchObject({
      issues: [{ path: 'tenants.acme.blink.secretKey', problem: 'refers to ACME_BLINK_SECRET, which is not set' }],
    });
    const badUrl = await appWith(sandbox, { ...env(), BLINK_URL: 'ftp://nowhere' }).catch((error: unknown) => error);
    expect(badUrl).toBeInstanceOf(PaymentsAuthConfigError);
    expect((badUrl as PaymentsAuthConfigError).issues.map((issue) => issue.path)).toEqual([
      'tenants.acme.blink.baseUrl',
    ]);
  });
});
