import { Logger } from '@nestjs/common';
import { PaymentsAuthError } from '../errors/payments-auth.error';
import { ReauthorizationRequiredError } from '../errors/reauthorization-required.error';
import { TokenStoreError } from '../errors/token-store.error';
import type { StoredToken, TokenStore } from '../stores/token-store.interface';
import { storeKeyFor } from './credential-fingerprint';
import { RefreshTimingOptions, refreshAtFor } from './refresh-timing';
import type { IssuedToken, TokenProtocol } from './token-protocol.interface';
import type { TokenSnapshot } from './token-snapshot.interface';

/** A way to obtain a token other than the protocol's usual one (e.g. the authorization-code exchange). */
export type Acquisition = (previous: StoredToken | undefined) => Promise<IssuedToken>;

/** After a failed background renewal, callers keep getting the still-valid token; retry no sooner than this. */
const BACKGROUND_RETRY_DELAY_MS = 1_000;

interface TokenEntry<TConfig> {
  readonly tenant: string;
  readonly config: TConfig;
  readonly storeKey: string;
  token?: StoredToken;
  /** Precomputed so the hot path is one comparison. */
  refreshAt: number;
  /** The one acquisition under way for this entry; every concurrent caller shares it. */
  inFlight?: Promise<StoredToken>;
  /** Set when the provider refused the credentials; no automatic call is made until it is cleared. */
  reauthorizationError?: ReauthorizationRequiredError;
  backgroundRetryAt: number;
}

/**
 * The provider-agnostic token lifecycle: in-memory cache per provider + tenant + credential fingerprint,
 * in-process single flight, refresh margin, and the durable store. It never sees an HTTP shape.
 *
 * Ordering guarantee for rotating refresh tokens: a new record is written to the store before the access
 * token is handed to anyone, and the refresh token used is always the newest one known (store or memory).
 */
export class TokenEngine<TConfig extends object> {
  private readonly entries = new Map<string, TokenEntry<TConfig>>();
  private readonly logger = new Logger('PaymentsAuth');

  constructor(
    private readonly protocol: TokenProtocol<TConfig>,
    private readonly store: TokenStore,
    private readonly timing: RefreshTimingOptions,
  ) {}

  /** The hot path: a cached, fresh token costs one Map lookup and one comparison. */
  getToken(tenant: string, config: TConfig): Promise<string> {
    const entry = this.entryFor(tenant, config);
    const token = entry.token;
    if (token !== undefined) {
      const now = Date.now();
      if (now < entry.refreshAt) return Promise.resolve(token.accessToken);
      if (now < token.expiresAt) {
        // Inside the margin: the token still works, so nobody waits; renewal happens behind the caller.
        this.renewInBackground(entry, now);
        return Promise.resolve(token.accessToken);
      }
    }
    return this.acquire(entry, {}).then((record) => record.accessToken);
  }

  async getTokenInfo(tenant: string, config: TConfig): Promise<TokenSnapshot> {
    await this.getToken(tenant, config);
    return this.snapshotOf(this.entryFor(tenant, config));
  }

  /** Forces a new token; concurrent callers (and a renewal already under way) share one token call. */
  async refresh(tenant: string, config: TConfig): Promise<string> {
    return (await this.acquire(this.entryFor(tenant, config), { force: true })).accessToken;
  }

  /** Obtains and stores a token another way (authorization code), after any acquisition under way. */
  async acquireVia(tenant: string, config: TConfig, acquisition: Acquisition): Promise<TokenSnapshot> {
    const entry = this.entryFor(tenant, config);
    await this.acquire(entry, { via: acquisition });
    return this.snapshotOf(entry);
  }

  /**
   * Drops the access token if it is still `token` (or whatever it is, when `token` is omitted). The refresh
   * token is kept: the record is marked expired rather than deleted. Returns whether anything was dropped.
   */
  async invalidate(tenant: string, config: TConfig, token?: string): Promise<boolean> {
    const entry = this.entryFor(tenant, config);
    // A renewal under way replaces the token anyway; writing an invalidated copy now could land after the
    // renewal's record and put a spent refresh token back in the store.
    if (entry.inFlight !== undefined) return false;
    const current = entry.token ?? (await this.readStore(entry).catch(() => undefined));
    if (current === undefined || current.expiresAt === 0) return false;
    if (token !== undefined && current.accessToken !== token) return false;
    const invalidated: StoredToken = { ...current, expiresAt: 0, version: current.version + 1 };
    this.adopt(entry, invalidated);
    await this.persist(entry, invalidated);
    return true;
  }

  private acquire(entry: TokenEntry<TConfig>, mode: { force?: boolean; via?: Acquisition }): Promise<StoredToken> {
    if (entry.inFlight !== undefined) {
      // A code exchange must really happen, so it queues behind the flight; everything else joins it.
      if (mode.via === undefined) return entry.inFlight;
      return entry.inFlight.catch(() => undefined).then(() => this.acquire(entry, mode));
    }
    if (!mode.force && mode.via === undefined && entry.reauthorizationError !== undefined) {
      return Promise.reject(entry.reauthorizationError);
    }
    const flight = this.load(entry, mode).finally(() => {
      if (entry.inFlight === flight) entry.inFlight = undefined;
    });
    entry.inFlight = flight;
    return flight;
  }

  private async load(entry: TokenEntry<TConfig>, mode: { force?: boolean; via?: Acquisition }): Promise<StoredToken> {
    const current = newest(await this.readStoreForRenewal(entry), entry.token);
    if (!mode.force && mode.via === undefined && current !== undefined && Date.now() < refreshAtFor(current, this.timing)) {
      this.adopt(entry, current); // e.g. after a restart, or another process renewed it
      return current;
    }
    const acquisition = mode.via ?? ((previous) => this.protocol.acquire(entry.config, entry.tenant, previous));
    let issued: IssuedToken;
    try {
      issued = await acquisition(current);
    } catch (error) {
      if (error instanceof ReauthorizationRequiredError) entry.reauthorizationError = error;
      throw error;
    }
    const record: StoredToken = {
      accessToken: issued.accessToken,
      expiresAt: issued.expiresAt,
      issuedAt: issued.issuedAt,
      // RFC 6749 §6: a server may keep the refresh token unchanged and omit it; then the old one stays valid.
      refreshToken: issued.refreshToken ?? current?.refreshToken,
      version: (current?.version ?? 0) + 1,
      details: issued.details,
    };
    await this.persist(entry, record);
    this.adopt(entry, record);
    entry.reauthorizationError = undefined;
    this.logger.debug(
      `${this.protocol.provider} token acquired for tenant '${entry.tenant}', valid ${Math.round((record.expiresAt - record.issuedAt) / 1000)} s`,
    );
    return record;
  }

  /**
   * Reads the newest record before a renewal. When the store fails, this process's own record is the best
   * knowledge there is; with none, a rotating protocol must not fall back to the configured seed, which may be
   * spent already, so it fails instead.
   */
  private async readStoreForRenewal(entry: TokenEntry<TConfig>): Promise<StoredToken | undefined> {
    try {
      return await this.readStore(entry);
    } catch (error) {
      const storeError = new TokenStoreError({ provider: this.protocol.provider, tenant: entry.tenant }, 'read', describe(error));
      if (entry.token === undefined && this.protocol.rotatesRefreshTokens) throw storeError;
      this.logger.warn(`${storeError.message}; continuing with the token this process holds`);
      return undefined;
    }
  }

  private async readStore(entry: TokenEntry<TConfig>): Promise<StoredToken | undefined> {
    return this.store.get(entry.storeKey);
  }

  /**
   * A failed write does not fail the caller: the new token works, and this process keeps the newest refresh
   * token in memory and uses it for the next renewal, whose write may succeed.
   */
  private async persist(entry: TokenEntry<TConfig>, record: StoredToken): Promise<void> {
    try {
      await this.store.set(entry.storeKey, record);
    } catch (error) {
      const consequence = this.protocol.rotatesRefreshTokens
        ? 'the rotated refresh token is held in memory only until a later write succeeds'
        : 'the token is held in memory only';
      this.logger.error(
        `${new TokenStoreError({ provider: this.protocol.provider, tenant: entry.tenant }, 'write', describe(error)).message}; ${consequence}`,
      );
    }
  }

  private renewInBackground(entry: TokenEntry<TConfig>, now: number): void {
    if (entry.inFlight !== undefined || entry.reauthorizationError !== undefined || now < entry.backgroundRetryAt) return;
    this.acquire(entry, {}).catch((error: unknown) => {
      entry.backgroundRetryAt = Date.now() + BACKGROUND_RETRY_DELAY_MS;
      this.logger.warn(
        `${this.protocol.provider} background renewal failed for tenant '${entry.tenant}'; serving the current token until it expires: ${describe(error)}`,
      );
    });
  }

  private adopt(entry: TokenEntry<TConfig>, record: StoredToken): void {
    entry.token = record;
    entry.refreshAt = refreshAtFor(record, this.timing);
  }

  private entryFor(tenant: string, config: TConfig): TokenEntry<TConfig> {
    const existing = this.entries.get(tenant);
    if (existing !== undefined && existing.config === config) return existing;
    const entry: TokenEntry<TConfig> = {
      tenant,
      config,
      storeKey: storeKeyFor(this.protocol.provider, tenant, this.protocol.credentialIdentity(config)),
      refreshAt: 0,
      backgroundRetryAt: 0,
    };
    this.entries.set(tenant, entry);
    return entry;
  }

  private snapshotOf(entry: TokenEntry<TConfig>): TokenSnapshot {
    const token = entry.token as StoredToken;
    return {
      provider: this.protocol.provider,
      tenant: entry.tenant,
      issuedAt: new Date(token.issuedAt),
      expiresAt: new Date(token.expiresAt),
      refreshAt: new Date(entry.refreshAt),
      hasRefreshToken: token.refreshToken !== undefined,
      details: { ...token.details },
    };
  }
}

function newest(a: StoredToken | undefined, b: StoredToken | undefined): StoredToken | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return b.version > a.version ? b : a;
}

/** Error text safe to log: our own errors are composed safely; for anything else only its class and code. */
function describe(error: unknown): string {
  if (error instanceof PaymentsAuthError) return error.message;
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code ? `${error.name} ${code}` : error.name;
  }
  return 'unknown error';
}
