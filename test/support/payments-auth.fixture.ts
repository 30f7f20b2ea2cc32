import { ConsoleLogger, type ModuleMetadata, type Provider } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test, TestingModule } from '@nestjs/testing';
import {
  BlinkTokenService,
  BlnkTokenService,
  MemoryTokenStore,
  PaymentsAuthModule,
  PaymentsAuthModuleOptions,
  TenantConfig,
} from 'nestjs-payments-auth';
import {
  DEFAULT_BLINK_ACCOUNT,
  DEFAULT_BLNK_CLIENT,
  DEFAULT_BLNK_SEED_REFRESH_TOKEN,
  Sandbox,
  SandboxOptions,
  startSandbox,
} from '@app/sandbox';

/** More of the app around PaymentsAuthModule, e.g. TerminusModule and the health indicator. */
export interface AppExtras {
  imports?: ModuleMetadata['imports'];
  providers?: Provider[];
}

/**
 * A Nest app importing PaymentsAuthModule, wired to a sandbox on random 127.0.0.1 ports. Every test that
 * starts one closes it (app first, then the sandbox), so --detectOpenHandles stays clean.
 */
export class PaymentsAuthFixture {
  private constructor(
    readonly sandbox: Sandbox,
    readonly app: TestingModule,
    private readonly ownsSandbox: boolean,
  ) {}

  get blink(): BlinkTokenService {
    return this.app.get(BlinkTokenService);
  }

  get blnk(): BlnkTokenService {
    return this.app.get(BlnkTokenService);
  }

  /** Starts a sandbox and an app whose options are built from it (default: the 'acme' tenant, memory store). */
  static async start(
    options: (sandbox: Sandbox) => Partial<PaymentsAuthModuleOptions> = () => ({}),
    sandboxOptions: SandboxOptions = {},
    app: AppExtras = {},
  ): Promise<PaymentsAuthFixture> {
    const sandbox = await startSandbox(sandboxOptions);
    try {
      return await PaymentsAuthFixture.startOn(sandbox, options, true, app);
    } catch (error) {
      await sandbox.close();
      throw error;
    }
  }

  /** An app on an existing sandbox, e.g. a second instance or a restarted one. */
  static async startOn(
    sandbox: Sandbox,
    options: (sandbox: Sandbox) => Partial<PaymentsAuthModuleOptions> = () => ({}),
    ownsSandbox = false,
    extras: AppExtras = {},
  ): Promise<PaymentsAuthFixture> {
    const app = await Test.createTestingModule({
      imports: [
        ScheduleModule.forRoot(),
        PaymentsAuthModule.forRoot(withFixedRenewals({ ...defaultOptions(sandbox), ...options(sandbox) })),
        ...(extras.imports ?? []),
      ],
      providers: extras.providers ?? [],
    })
      // Nest's TestingLogger drops all but errors; the suite's leak check needs every line really printed.
      .setLogger(new ConsoleLogger({ logLevels: ['log', 'error', 'warn', 'debug'] }))
      .compile();
    await app.init();
    return new PaymentsAuthFixture(sandbox, app, ownsSandbox);
  }

  async close(): Promise<void> {
    await this.app.close();
    if (this.ownsSandbox) await this.sandbox.close();
  }
}

export function defaultOptions(sandbox: Sandbox): PaymentsAuthModuleOptions {
  return { tenants: { acme: acmeTenant(sandbox) }, defaultTenant: 'acme', store: new MemoryTokenStore() };
}

/**
 * These tests count token calls, so a cold token's first renewal is not spread over its window (a random early
 * renewal); spreading has its own tests (renewal-spread.spec.ts) and bench 6. A test can still turn it on.
 */
function withFixedRenewals(options: PaymentsAuthModuleOptions): PaymentsAuthModuleOptions {
  return { ...options, scheduledRenewal: { spreadFirstRenewal: false, ...options.scheduledRenewal } };
}

/** The sandbox's default Blink account and Blnk OAuth client, seeded with the default grant. */
export function acmeTenant(sandbox: Sandbox): TenantConfig {
  return {
    blink: {
      apiKey: DEFAULT_BLINK_ACCOUNT.apiKey,
      secretKey: DEFAULT_BLINK_ACCOUNT.secretKey,
      baseUrl: sandbox.blink.url,
    },
    blnk: {
      clientId: DEFAULT_BLNK_CLIENT.clientId,
      clientSecret: DEFAULT_BLNK_CLIENT.clientSecret,
      refreshToken: DEFAULT_BLNK_SEED_REFRESH_TOKEN,
      baseUrl: sandbox.blnk.url,
    },
  };
}

/** A Blnk OAuth tenant with its own fresh grant on the sandbox. */
export function blnkTenantWithNewGrant(sandbox: Sandbox): TenantConfig {
  return {
    blnk: {
      clientId: DEFAULT_BLNK_CLIENT.clientId,
      clientSecret: DEFAULT_BLNK_CLIENT.clientSecret,
      refreshToken: sandbox.blnk.createGrant(DEFAULT_BLNK_CLIENT.clientId),
      baseUrl: sandbox.blnk.url,
    },
  };
}

/** Waits until `condition` holds, polling at most `attempts` times. */
export async function eventually(condition: () => boolean, attempts = 100, intervalMs = 20): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error('condition not met in time');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
