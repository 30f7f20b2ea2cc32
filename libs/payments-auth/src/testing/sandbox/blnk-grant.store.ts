import { createHash } from 'node:crypto';
import { randomToken, safeEqual } from './crypto.util.js';

/** RFC 6749 §4.1.2 recommends at most ten minutes for authorization codes. */
const AUTHORIZATION_CODE_TTL_MS = 10 * 60_000;

export interface BlnkIssuedTokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export type BlnkGrantOutcome = { ok: true; tokens: BlnkIssuedTokens } | { ok: false; description: string };

interface Grant {
  clientId: string;
  revoked: boolean;
}

interface RefreshTokenRecord {
  grant: Grant;
  /** Rotated out: presenting it again means two parties hold the grant, so the grant is revoked. */
  used: boolean;
}

interface AccessTokenRecord {
  grant: Grant;
  expiresAtMs: number;
}

interface AuthorizationCode {
  clientId: string;
  redirectUri: string;
  expiresAtMs: number;
  /** RFC 7636: the S256 challenge sent to /oauth/authorize, which the exchange must answer with its verifier. */
  codeChallenge?: string;
}

/**
 * Blnk Cloud's OAuth state: grants with one-time, rotating refresh tokens and reuse detection. Kept free of
 * HTTP so the rules (which are what token clients must get right) read in one place.
 */
export class BlnkGrantStore {
  private readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  private readonly accessTokens = new Map<string, AccessTokenRecord>();
  private readonly codes = new Map<string, AuthorizationCode>();
  private readonly issued: string[] = [];

  constructor(private lifetimeSeconds: number) {}

  setLifetimeSeconds(seconds: number): void {
    this.lifetimeSeconds = seconds;
  }

  /** Starts a grant without an access token, as after onboarding; `refreshToken` lets a seed be fixed. */
  createGrant(clientId: string, refreshToken = randomToken('blnk_rt_')): string {
    if (this.refreshTokens.has(refreshToken)) throw new Error('refresh token already exists');
    this.refreshTokens.set(refreshToken, { grant: { clientId, revoked: false }, used: false });
    this.issued.push(refreshToken);
    return refreshToken;
  }

  issueCode(clientId: string, redirectUri: string, nowMs = Date.now(), codeChallenge?: string): string {
    const code = randomToken('blnk_ac_');
    this.codes.set(code, { clientId, redirectUri, expiresAtMs: nowMs + AUTHORIZATION_CODE_TTL_MS, codeChallenge });
    return code;
  }

  /** Single use: a redeemed code is gone; a code presented by another client is left for its owner. */
  redeemCode(
    clientId: string,
    code: string,
    redirectUri: string,
    nowMs = Date.now(),
    codeVerifier?: string,
  ): BlnkGrantOutcome {
    const stored = this.codes.get(code);
    if (!stored || stored.clientId !== clientId) return { ok: false, description: 'Invalid authorization code' };
    if (nowMs >= stored.expiresAtMs) {
      this.codes.delete(code);
      return { ok: false, description: 'Authorization code expired' };
    }
    if (stored.redirectUri !== redirectUri) return { ok: false, description: 'redirect_uri does not match' };
    const pkceProblem = pkceMismatch(stored.codeChallenge, codeVerifier);
    if (pkceProblem !== undefined) {
      this.codes.delete(code); // a failed verifier burns the code, so it cannot be guessed at
      return { ok: false, description: pkceProblem };
    }
    this.codes.delete(code);
    return { ok: true, tokens: this.issueTokens({ clientId, revoked: false }, nowMs) };
  }

  refresh(clientId: string, refreshToken: string, nowMs = Date.now()): BlnkGrantOutcome {
    const record = this.refreshTokens.get(refreshToken);
    if (!record || record.grant.clientId !== clientId) return { ok: false, description: 'Invalid refresh token' };
    if (record.grant.revoked) return { ok: false, description: 'Grant revoked' };
    if (record.used) {
      // Reuse means the token leaked or a client raced itself; either way nobody can be trusted with the grant.
      record.grant.revoked = true;
      return { ok: false, description: 'Refresh token reuse detected; grant revoked' };
    }
    record.used = true;
    return { ok: true, tokens: this.issueTokens(record.grant, nowMs) };
  }

  isGrantRevoked(refreshToken: string): boolean {
    return this.refreshTokens.get(refreshToken)?.grant.revoked ?? false;
  }

  /** Unexpired and its grant not revoked: revoking a grant also kills access tokens already handed out. */
  isAccessTokenLive(accessToken: string, nowMs = Date.now()): boolean {
    const record = this.accessTokens.get(accessToken);
    return record !== undefined && !record.grant.revoked && nowMs < record.expiresAtMs;
  }

  /** Kills every access token issued so far; grants and refresh tokens stay valid. */
  revokeAccessTokens(): void {
    this.accessTokens.clear();
  }

  issuedTokens(): string[] {
    return [...this.issued];
  }

  private issueTokens(grant: Grant, nowMs: number): BlnkIssuedTokens {
    const accessToken = randomToken('blnk_at_');
    const refreshToken = randomToken('blnk_rt_');
    this.accessTokens.set(accessToken, { grant, expiresAtMs: nowMs + this.lifetimeSeconds * 1000 });
    this.refreshTokens.set(refreshToken, { grant, used: false });
    this.issued.push(accessToken, refreshToken);
    return { accessToken, refreshToken, expiresIn: this.lifetimeSeconds };
  }
}

/**
 * RFC 7636 §4.6 with S256, the only method accepted. A verifier sent for a code issued without a challenge is
 * refused too (RFC 9700 §2.1.1: it would let a PKCE downgrade go unnoticed).
 */
function pkceMismatch(challenge: string | undefined, verifier: string | undefined): string | undefined {
  if (challenge === undefined)
    return verifier === undefined ? undefined : 'code_verifier sent for a code issued without code_challenge';
  if (verifier === undefined) return 'code_verifier is required: the authorization request sent a code_challenge';
  if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return 'code_verifier is malformed';
  const computed = createHash('sha256').update(verifier).digest('base64url');
  return safeEqual(computed, challenge) ? undefined : 'code_verifier does not match code_challenge';
}
