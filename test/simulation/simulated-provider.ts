import type { IssuedToken, TokenProtocol } from '../../libs/payments-auth/src/engine/token-protocol.interface';
import { ProviderTimeoutError } from '../../libs/payments-auth/src/errors/provider-timeout.error';
import { ProviderUnavailableError } from '../../libs/payments-auth/src/errors/provider-unavailable.error';
import { ReauthorizationRequiredError } from '../../libs/payments-auth/src/errors/reauthorization-required.error';
import type { StoredToken } from '../../libs/payments-auth/src/stores/token-store.interface';
import type { SimulationHooks } from './simulation-hooks';

export interface SimulatedConfig {
  readonly clientId: string;
  readonly refreshToken: string;
}

export const SEED_REFRESH_TOKEN = 'rt-0';
/** With the engine test settings' 10 s margin, a token is renewed 10 s after it was issued. */
export const TOKEN_LIFETIME_MS = 20_000;

/** How long a token call takes to be answered (fake time): long enough for other commands to land meanwhile. */
const ANSWER_LATENCY_MS = { min: 50, max: 400 };

/** What the provider does with the next token call, as a fault schedule says. */
export type ProviderFault = 'refuse' | 'lose-answer';

/**
 * A Blnk-like OAuth server in memory: one grant whose refresh tokens rotate (`rt-0` is the seed, `rt-n` the n-th
 * issued), and whose reuse detection revokes the whole grant, as RFC 9700 §4.14.2 allows. Every send goes through
 * the hooks first, which check the invariants against what the world knows at that moment.
 */
export class SimulatedProvider {
  /** The refresh token the grant accepts now. */
  current = SEED_REFRESH_TOKEN;
  revoked = false;
  invalidGrants = 0;
  tokenCalls = 0;
  /**
   * Refresh tokens issued, each with the instance its answer goes to, from the moment the provider rotated
   * (undefined: the answer was lost). An instance that crashes before the answer arrives never knew it.
   */
  readonly deliveredTo = new Map<string, number | undefined>([[SEED_REFRESH_TOKEN, undefined]]);
  /** Instances whose token call left (past its lease confirmation) and was not yet answered. */
  readonly inFlight = new Set<number>();
  private issued = 0;
  private readonly faults: ProviderFault[] = [];

  constructor(private readonly hooks: SimulationHooks) {}

  /** The instance the answer carrying `accessToken` reached (undefined: lost, or not issued here). */
  receivedBy(accessToken: string): number | undefined {
    return this.deliveredTo.get(`rt-${accessToken.slice('at-'.length)}`);
  }

  private async answer(instance: number, label: string): Promise<void> {
    // Math.random is seeded per schedule, so the latency replays with it.
    const latency = ANSWER_LATENCY_MS.min + Math.floor(Math.random() * (ANSWER_LATENCY_MS.max - ANSWER_LATENCY_MS.min));
    await new Promise((resolve) => setTimeout(resolve, latency));
    await this.hooks.step(instance, label);
    this.inFlight.delete(instance);
  }

  injectNext(fault: ProviderFault): void {
    this.faults.push(fault);
  }

  /** The protocol adapter one instance uses: each instance's calls are told apart, as sockets are at a server. */
  protocolFor(instance: number): TokenProtocol<SimulatedConfig> {
    return {
      provider: 'blnk',
      rotatesRefreshTokens: true,
      credentialIdentity: (config) => `simulated|${config.clientId}`,
      audience: () => 'https://blnk.simulated',
      seedRefreshToken: (config) => config.refreshToken,
      acquire: (config, tenant, previous, beforeSend) => this.acquire(instance, config, tenant, previous, beforeSend),
    };
  }

  private async acquire(
    instance: number,
    config: SimulatedConfig,
    tenant: string,
    previous: StoredToken | undefined,
    beforeSend?: () => Promise<void>,
  ): Promise<IssuedToken> {
    const details = { provider: 'blnk' as const, tenant };
    await beforeSend?.();
    this.inFlight.add(instance); // on the wire from here: a stall now is a stall mid-refresh
    await this.hooks.step(instance, 'token call sent');
    const sent = previous?.refreshToken ?? config.refreshToken;
    this.tokenCalls += 1;
    this.hooks.onSend(instance, sent);
    const fault = this.faults.shift();
    if (fault === 'refuse') {
      await this.answer(instance, 'token call refused');
      throw new ProviderUnavailableError({ ...details, status: 503 }, 'HTTP 503');
    }
    if (this.revoked || sent !== this.current) {
      this.revoked = true;
      this.invalidGrants += 1;
      await this.answer(instance, 'invalid_grant');
      throw new ReauthorizationRequiredError(
        { ...details, status: 400, providerErrorCode: 'invalid_grant' },
        'invalid_grant',
      );
    }
    this.hooks.onSpent(sent);
    this.issued += 1;
    const rotated = `rt-${this.issued}`;
    this.current = rotated;
    const issuedAt = Date.now();
    const token: IssuedToken = {
      accessToken: `at-${this.issued}`,
      refreshToken: rotated,
      issuedAt,
      expiresAt: issuedAt + TOKEN_LIFETIME_MS,
    };
    this.deliveredTo.set(rotated, fault === 'lose-answer' ? undefined : instance);
    if (fault === 'lose-answer') {
      // Rotated at the server; the answer never comes back (a timeout): the new refresh token exists nowhere.
      await this.answer(instance, 'token call timed out');
      throw new ProviderTimeoutError(details, 1_000);
    }
    await this.answer(instance, 'token answer');
    return token;
  }
}
