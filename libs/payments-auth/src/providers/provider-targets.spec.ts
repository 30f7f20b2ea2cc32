import { BLINK_RULES } from './blink/blink.rules.js';
import { BLNK_RULES } from './blnk/blnk.rules.js';

const blnk = (config: Record<string, unknown>) => config as never;
const at = (href: string) => new URL(href);

// README § Calling the provider APIs: PaymentsHttpService › Where credentials go
describe('provider targets: which credential a URL under a base URL gets, and how', () => {
  it('Blink: Authorization with a renewable token under its base URL, nothing elsewhere', () => {
    const config = { apiKey: 'k', secretKey: 's', baseUrl: 'https://secure.blinkpayment.co.uk' };
    expect(BLINK_RULES.target(at('https://secure.blinkpayment.co.uk/api/pay/v1/intents'), config)).toMatchObject({
      provider: 'blink',
      baseUrl: 'https://secure.blinkpayment.co.uk',
      renewable: true,
      headerName: 'Authorization',
    });
    expect(BLINK_RULES.target(at('https://evil.example/api/pay/v1/intents'), config)).toBeUndefined();
    expect(BLINK_RULES.warnings('acme', config)).toEqual([]);
    expect(BLINK_RULES.holdsRotatingGrant(config)).toBe(false);
  });

  it('Blnk OAuth: a renewable Bearer token with its instance id; the token endpoint itself gets none', () => {
    const config = blnk({ mode: 'oauth', baseUrl: 'https://api.cloud.blnkfinance.com', instanceId: 'inst_1' });
    expect(BLNK_RULES.target(at('https://api.cloud.blnkfinance.com/ledgers'), config)).toEqual({
      provider: 'blnk',
      baseUrl: 'https://api.cloud.blnkfinance.com',
      instanceId: 'inst_1',
      isTokenEndpoint: false,
      renewable: true,
      headerName: 'Authorization',
    });
    expect(BLNK_RULES.target(at('https://api.cloud.blnkfinance.com/oauth/token/'), config)).toMatchObject({
      isTokenEndpoint: true,
    });
    expect(BLNK_RULES.target(at('https://other.example/ledgers'), config)).toBeUndefined();
  });

  it('Blnk Cloud API key: Authorization, not renewable; Blnk Core: X-Blnk-Key, no instance id, no token endpoint', () => {
    const apiKey = blnk({ mode: 'api-key', baseUrl: 'https://api.cloud.blnkfinance.com', instanceId: 'inst_1' });
    expect(BLNK_RULES.target(at('https://api.cloud.blnkfinance.com/oauth/token'), apiKey)).toEqual({
      provider: 'blnk',
      baseUrl: 'https://api.cloud.blnkfinance.com',
      instanceId: 'inst_1',
      isTokenEndpoint: false,
      renewable: false,
      headerName: 'Authorization',
    });
    const core = blnk({ mode: 'core', baseUrl: 'https://blnk.internal.example', instanceId: 'ignored' });
    expect(BLNK_RULES.target(at('https://blnk.internal.example/ledgers'), core)).toEqual({
      provider: 'blnk',
      baseUrl: 'https://blnk.internal.example',
      instanceId: undefined,
      isTokenEndpoint: false,
      renewable: false,
      headerName: 'X-Blnk-Key',
    });
  });

  it('warns about an OAuth tenant with PKCE off, by name, and about nothing else', () => {
    const warnings = BLNK_RULES.warnings('acme', blnk({ mode: 'oauth', pkce: false }));
    expect(warnings).toEqual([
      expect.stringMatching(
        /^Blnk tenant 'acme' has pkce: false: an intercepted authorization code can be exchanged by/,
      ),
    ]);
    expect(warnings[0]).toContain('Leave PKCE on unless the authorization server refuses it');
    expect(BLNK_RULES.warnings('acme', blnk({ mode: 'oauth' }))).toEqual([]);
    expect(BLNK_RULES.warnings('acme', blnk({ mode: 'core', pkce: false }))).toEqual([]);
  });
});
