import type { TokenSnapshot, TokenState } from '../engine/token-snapshot.interface.js';
import type { ProviderName } from '../errors/payments-auth.error.js';
import type { BlinkTokenService } from '../providers/blink/blink-token.service.js';
import { BLINK_RULES } from '../providers/blink/blink.rules.js';
import type { BlnkTokenService } from '../providers/blnk/blnk-token.service.js';
import { BLNK_RULES } from '../providers/blnk/blnk.rules.js';

/** The tokens every tenant gets from the stand-ins. */
export interface FixedTokens {
  blink?: string;
  blnk?: string;
}

/** What an app's code calls on a token service, answered with one fixed token and no network. */
function fixedService(token: string | undefined, provider: ProviderName) {
  const value = (tenant: string): string => {
    if (token === undefined) throw new Error(`fixedTokens: no ${provider} token was given (tenant '${tenant}')`);
    return token;
  };
  const snapshot = (tenant: string): TokenSnapshot => {
    value(tenant);
    const issuedAt = new Date();
    const expiresAt = new Date(issuedAt.getTime() + 3_600_000);
    return { provider, tenant, issuedAt, expiresAt, renewAt: expiresAt, hasRefreshToken: false, details: {} };
  };
  return {
    getCredentialInfo: notStoodIn('getCredentialInfo'),
    getToken: async (tenant: string) => value(tenant),
    getAuthHeaders: async (tenant: string) => ({ Authorization: `Bearer ${value(tenant)}` }),
    // Never at hand: PaymentsHttpService then asks getAuthHeaders every time, which a test may override or spy on.
    cachedAuthHeaders: () => undefined,
    getTokenInfo: async (tenant: string) => snapshot(tenant),
    forceRenewal: async (tenant: string) => value(tenant),
    invalidate: async () => false,
    states: (): TokenState[] => [],
  };
}

/**
 * Stand-ins for BlinkTokenService and BlnkTokenService that hand every tenant a fixed token, with no token call:
 * override the real ones in a testing module, and PaymentsHttpService attaches these tokens too.
 *
 * ```ts
 * const stand = fixedTokens({ blink: 'blink-test-token', blnk: 'blnk-test-token' });
 * const app = await Test.createTestingModule({ imports: [AppModule] })
 *   .overrideProvider(BlinkTokenService).useValue(stand.blink)
 *   .overrideProvider(BlnkTokenService).useValue(stand.blnk)
 *   .compile();
 * ```
 */
export function fixedTokens(tokens: FixedTokens): { blink: BlinkTokenService; blnk: BlnkTokenService } {
  // `satisfies`: a public method added to a service and missing here fails to compile.
  const blink = fixedService(tokens.blink, BLINK_RULES.name) satisfies Record<keyof BlinkTokenService, unknown>;
  const blnk = {
    ...fixedService(tokens.blnk, BLNK_RULES.name),
    createAuthorizationRequest: notStoodIn('createAuthorizationRequest'),
    completeAuthorization: notStoodIn('completeAuthorization'),
    exchangeAuthorizationCode: notStoodIn('exchangeAuthorizationCode'),
  } satisfies Record<keyof BlnkTokenService, unknown>;
  return { blink: blink as unknown as BlinkTokenService, blnk: blnk as unknown as BlnkTokenService };
}

/** Methods with no fixed answer (credential details, onboarding): a clear refusal, not `is not a function`. */
function notStoodIn(method: string) {
  return (): Promise<never> =>
    Promise.reject(new Error(`fixedTokens: ${method} has no stand-in; run such a test against startSandbox()`));
}
