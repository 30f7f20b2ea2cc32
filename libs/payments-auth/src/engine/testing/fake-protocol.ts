import type { ProviderName } from '../../errors/payments-auth.error.js';
import type { StoredToken } from '../../stores/token-store.interface.js';
import type { IssuedToken, TokenProtocol } from '../token-protocol.interface.js';

export interface FakeConfig {
  readonly clientId: string;
  /** Where its tokens may be sent; one default audience when omitted. */
  readonly baseUrl?: string;
}

/** One token call the fake answered (or refused), with what the engine handed it. */
export interface FakeCall {
  tenant: string;
  previous: StoredToken | undefined;
}

/**
 * A provider without HTTP: token calls are counted, answered with numbered tokens of `lifetimeMs` from the
 * (possibly fake) clock, and can be made to fail or to wait until the test lets them answer.
 */
export class FakeProtocol implements TokenProtocol<FakeConfig> {
  readonly calls: FakeCall[] = [];
  lifetimeMs = 60_000;
  private readonly failures: unknown[] = [];
  private held: Promise<void> | undefined;

  constructor(
    readonly provider: ProviderName = 'blink',
    readonly rotatesRefreshTokens = false,
  ) {}

  credentialIdentity(config: FakeConfig): string {
    return `fake|${config.clientId}`;
  }

  audience(config: FakeConfig): string {
    return config.baseUrl ?? 'https://fake.example';
  }

  /** Like a real adapter, runs `beforeSend` first; a call it stops is not counted (nothing was sent). */
  async acquire(
    _config: FakeConfig,
    tenant: string,
    previous: StoredToken | undefined,
    beforeSend?: () => Promise<void>,
  ): Promise<IssuedToken> {
    await beforeSend?.();
    this.calls.push({ tenant, previous });
    const number = this.calls.length;
    const issuedAt = Date.now();
    await this.held;
    const failure = this.failures.shift();
    if (failure !== undefined) throw failure;
    return {
      accessToken: `TOPSECRET-fake-access-${number}`,
      issuedAt,
      expiresAt: issuedAt + this.lifetimeMs,
      refreshToken: this.rotatesRefreshTokens ? `TOPSECRET-fake-refresh-${number}` : undefined,
    };
  }

  /** The next token calls fail with these errors, in order. */
  failNext(...errors: unknown[]): void {
    this.failures.push(...errors);
  }

  /** Token calls from now on wait for the returned function before they answer. */
  hold(): () => void {
    let release: () => void = () => undefined;
    this.held = new Promise<void>((resolve) => (release = resolve));
    return () => {
      this.held = undefined;
      release();
    };
  }
}
