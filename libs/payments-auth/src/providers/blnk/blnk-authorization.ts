import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { AuthorizationError } from './authorization.error.js';
import { pkceOffWarning } from './blnk.rules.js';
import { safeProviderCode } from '../../observability/redact.js';
import { describeBaseUrlProblem } from '../../options/provider-base-url.validator.js';
import type { BlnkOAuthConfig } from './blnk.rules.js';
import { type PendingAuthorization, PendingAuthorizations } from './pending-authorizations.js';
import type { TokenStore } from '../../stores/token-store.interface.js';

/** What `createAuthorizationRequest` needs besides the tenant. */
export interface BlnkAuthorizationRequestOptions {
  /** Where Blnk sends the browser back: https (plain http only on loopback hosts), no fragment. */
  redirectUri: string;
  /** Space-separated scopes to ask for; omitted from the request when not given. */
  scope?: string;
  /** How long the request can be completed. Default 10 minutes, at most 1 hour. */
  ttlMs?: number;
  /**
   * Ties the request to the browser session that started it (RFC 9700 §4.7): a random value the app also keeps
   * in that session (an HttpOnly, SameSite cookie, say) and passes again to completeAuthorization. Only its
   * SHA-256 is stored. With a binding, a leaked state completed from another browser (an attacker's own code)
   * is refused. Each binding has its own cap of pending requests, so requests started elsewhere never evict it.
   */
  binding?: string;
}

/** The request to send the user's browser to, and its `state` (to bind to the user's session, if you like). */
export interface BlnkAuthorizationRequest {
  tenant: string;
  url: string;
  state: string;
  expiresAt: Date;
}

/** The query of the callback request, as the web framework parsed it: any field may be missing or repeated. */
export interface BlnkAuthorizationCallback {
  code?: unknown;
  state?: unknown;
  error?: unknown;
  error_description?: unknown;
}

/** What the callback must match, when the app knows it (e.g. the tenant from the callback's own path). */
export interface BlnkAuthorizationExpectation {
  tenant?: string;
  redirectUri?: string;
  /** The binding given to createAuthorizationRequest, as the session that completes it holds it. */
  binding?: string;
}

export const DEFAULT_AUTHORIZATION_TTL_MS = 10 * 60_000;
const MAX_AUTHORIZATION_TTL_MS = 60 * 60_000;
const MAX_REDIRECT_URI_LENGTH = 2_048;
const MAX_CODE_LENGTH = 2_048;
const MAX_BINDING_LENGTH = 1_024;
/** `<tenant>~<32 random bytes, base64url>`: the tenant tells which store record to look in; `~` is in neither alphabet. */
const STATE_PATTERN = /^([A-Za-z0-9][A-Za-z0-9._-]{0,127})~([A-Za-z0-9_-]{43})$/;

const sha256 = (value: string): string => createHash('sha256').update(value).digest('base64url');
/** Constant time, so a guessed binding learns nothing from how long the refusal took. */
const sameHash = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** A callback's state, parsed: which tenant's record to look in, and the hash to look for. */
export interface CallbackState {
  tenant: string;
  stateHash: string;
}

/** A request that is pending and may be completed with `code`: what the code exchange needs. */
export interface AcceptedCallback {
  tenant: string;
  code: string;
  pending: PendingAuthorization;
}

/**
 * The authorization-code flow's security-sensitive half (RFC 6749 §4.1, RFC 7636, RFC 9700 §2.1): the request
 * and its random, single-use, expiring state bound to tenant and redirect URI; checking a callback against it.
 */
export class BlnkAuthorizationFlow {
  private readonly pending: PendingAuthorizations;
  /** Tenants already warned of `pkce: false` (static ones at start-up too; resolved ones only here). */
  private readonly warnedPkceOff = new Set<string>();
  private readonly logger = new Logger('PaymentsAuth');

  constructor(store: TokenStore) {
    this.pending = new PendingAuthorizations(store);
  }

  /** Deletes every pending request of the tenant (it was removed). */
  discard(tenant: string): Promise<void> {
    return this.pending.discard(tenant);
  }

  async request(
    tenant: string,
    config: BlnkOAuthConfig,
    options: BlnkAuthorizationRequestOptions,
  ): Promise<BlnkAuthorizationRequest> {
    const { redirectUri, scope, ttlMs, binding } = checkedRequestOptions(tenant, options);
    const secret = randomBytes(32).toString('base64url');
    const codeVerifier = config.pkce === false ? undefined : randomBytes(32).toString('base64url');
    if (codeVerifier === undefined && !this.warnedPkceOff.has(tenant)) {
      this.warnedPkceOff.add(tenant);
      this.logger.warn(pkceOffWarning(tenant));
    }
    const expiresAt = Date.now() + ttlMs;
    const bindingHash = binding === undefined ? undefined : sha256(binding);
    await this.pending.add(tenant, { stateHash: sha256(secret), redirectUri, codeVerifier, expiresAt, bindingHash });
    const state = `${tenant}~${secret}`;
    const url = new URL(config.authorizationUrl ?? `${config.baseUrl}/oauth/authorize`);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', config.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    if (scope !== undefined) url.searchParams.set('scope', scope);
    url.searchParams.set('state', state);
    if (codeVerifier !== undefined) {
      url.searchParams.set('code_challenge', sha256(codeVerifier));
      url.searchParams.set('code_challenge_method', 'S256');
    }
    return { tenant, url: url.toString(), state, expiresAt: new Date(expiresAt) };
  }

  /** The tenant a callback's state names and its hash, or an AuthorizationError when it cannot be one of ours. */
  parseState(callback: BlnkAuthorizationCallback, expected: BlnkAuthorizationExpectation): CallbackState {
    const match = typeof callback?.state === 'string' ? STATE_PATTERN.exec(callback.state) : null;
    if (match === null) throw unknownState();
    const tenant = match[1];
    // The expected tenant may come from the request (a path parameter): it is not echoed.
    if (expected.tenant !== undefined && expected.tenant !== tenant) {
      throw new AuthorizationError('tenant-mismatch', "The authorization callback's state belongs to another tenant");
    }
    return { tenant, stateHash: sha256(match[2]) };
  }

  /**
   * Checks the callback and uses up its state. Only a callback that passes every check (or that reports an error
   * from Blnk, or comes too late) spends the pending request; a forged or mismatched one leaves it for the real one.
   */
  async accept(
    { tenant, stateHash }: CallbackState,
    callback: BlnkAuthorizationCallback,
    expected: BlnkAuthorizationExpectation,
  ): Promise<AcceptedCallback> {
    const pending = await this.pending.find(tenant, stateHash);
    if (pending === undefined) throw unknownState();
    if (expected.redirectUri !== undefined && expected.redirectUri !== pending.redirectUri) {
      throw new AuthorizationError('redirect-mismatch', 'The authorization state was issued for another redirect URI', {
        tenant,
      });
    }
    if (!bindingMatches(pending, expected.binding)) {
      throw new AuthorizationError('binding-mismatch', 'The authorization state was issued to another session', {
        tenant,
      });
    }
    const providerError = callback.error;
    const code = callback.code;
    const hasCode = typeof code === 'string' && code.length > 0 && code.length <= MAX_CODE_LENGTH;
    if (providerError === undefined && !hasCode) {
      throw new AuthorizationError('invalid-request', 'The authorization callback has neither a code nor an error', {
        tenant,
      });
    }
    if (!(await this.pending.consume(tenant, stateHash))) throw unknownState();
    if (pending.expiresAt <= Date.now())
      throw new AuthorizationError('expired-state', 'The authorization request expired', { tenant });
    if (providerError !== undefined) {
      const providerErrorCode = safeProviderCode(providerError);
      throw new AuthorizationError(
        'denied',
        `Blnk refused the authorization${providerErrorCode ? `: ${providerErrorCode}` : ''}`,
        { tenant, providerErrorCode },
      );
    }
    return { tenant, code: code as string, pending };
  }
}

/**
 * An unknown state names no tenant: whoever can send a GET with a made-up state must not learn which tenants
 * exist, or which of them have a pending authorization.
 */
export function unknownState(): AuthorizationError {
  return new AuthorizationError('unknown-state', 'The authorization state is unknown, malformed or was used already');
}

/** A request made with a binding completes only with the same binding; one made without, only without. */
function bindingMatches(pending: PendingAuthorization, binding: unknown): boolean {
  if (pending.bindingHash === undefined) return binding === undefined;
  return (
    typeof binding === 'string' &&
    binding.length <= MAX_BINDING_LENGTH &&
    sameHash(sha256(binding), pending.bindingHash)
  );
}

function checkedRequestOptions(
  tenant: string,
  options: BlnkAuthorizationRequestOptions,
): Required<Omit<BlnkAuthorizationRequestOptions, 'scope' | 'binding'>> & { scope?: string; binding?: string } {
  const invalid = (problem: string) =>
    new AuthorizationError('invalid-request', `createAuthorizationRequest: ${problem}`, { tenant });
  const {
    redirectUri,
    scope,
    ttlMs = DEFAULT_AUTHORIZATION_TTL_MS,
    binding,
  } = options ?? ({} as BlnkAuthorizationRequestOptions);
  if (
    binding !== undefined &&
    (typeof binding !== 'string' || binding.length < 16 || binding.length > MAX_BINDING_LENGTH)
  ) {
    throw invalid('binding must be a string of 16 to 1024 characters (a random value kept in the session)');
  }
  if (typeof redirectUri !== 'string' || redirectUri.length > MAX_REDIRECT_URI_LENGTH)
    throw invalid('redirectUri must be a URL string of at most 2048 characters');
  // RFC 6749 §3.1.2: absolute, no fragment. The code travels to it, so the rule for provider URLs applies.
  const problem = describeBaseUrlProblem(redirectUri.split('?')[0]);
  if (problem !== undefined || redirectUri.includes('#'))
    throw invalid(`redirectUri ${problem ?? 'must not contain a fragment'}`);
  if (
    scope !== undefined &&
    (typeof scope !== 'string' || !/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/.test(scope))
  ) {
    throw invalid('scope must be space-separated scope tokens (RFC 6749 §3.3)');
  }
  if (!Number.isInteger(ttlMs) || ttlMs < 1_000 || ttlMs > MAX_AUTHORIZATION_TTL_MS)
    throw invalid('ttlMs must be an integer from 1000 to 3600000');
  return { redirectUri, scope, ttlMs, binding };
}
