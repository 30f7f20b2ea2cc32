import helmet from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlnkTokenService, TenantConfig } from 'nestjs-payments-auth';

/**
 * helmet's headers on every response (nosniff, a strict Referrer-Policy, ...), with a Content-Security-Policy
 * for the status page: scripts and styles only from this origin (the page's are served files, so no inline
 * script runs, injected or not), and no framing, against clickjacking of its Connect buttons.
 * `consentOrigins`: where the page's Connect form ends up. Chromium applies `form-action` to the redirect that
 * answers the POST too, so Blnk's consent page must be allowed there besides 'self'.
 */
export function securityHeaders(
  publicUrl: string | undefined,
  consentOrigins: string[],
): (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void {
  const https = publicUrl !== undefined && new URL(publicUrl).protocol === 'https:';
  return helmet({
    contentSecurityPolicy: {
      directives: {
        'script-src': ["'self'"],
        'style-src': ["'self'"],
        'frame-ancestors': ["'none'"],
        'form-action': ["'self'", ...consentOrigins],
        // Over plain http (the demo on localhost) there is nothing to upgrade to.
        'upgrade-insecure-requests': https ? [] : null,
      },
    },
    // For browsers older than frame-ancestors: the same answer.
    xFrameOptions: { action: 'deny' },
    // HSTS sent over http is ignored by browsers; over https it is what keeps the next visit there.
    strictTransportSecurity: https,
  });
}

/** The origins of the Blnk OAuth tenants' consent pages: `authorizationUrl`, else the library's `{baseUrl}/oauth/authorize`. */
export async function blnkConsentOrigins(
  tenants: Record<string, TenantConfig>,
  blnk: BlnkTokenService,
): Promise<string[]> {
  const origins = new Set<string>();
  for (const [tenant, { blnk: config }] of Object.entries(tenants)) {
    if (config === undefined || (config.mode ?? 'oauth') !== 'oauth') continue;
    const authorizationUrl = 'authorizationUrl' in config ? config.authorizationUrl : undefined;
    // The credential info has the base URL with the library's default filled in.
    origins.add(new URL(authorizationUrl ?? (await blnk.getCredentialInfo(tenant)).baseUrl).origin);
  }
  return [...origins];
}
