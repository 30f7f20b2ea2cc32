import { REDACTED, redact, safeProviderCode, safeProviderText } from './redact.js';

// README § Errors (provider-supplied text: bounded, redacted, no control characters; only plain short codes)
describe('redaction', () => {
  it('removes known secrets and credential-shaped strings', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    const text = `key TOPSECRET-1 token ${jwt} refresh blnk_rt_abc123 hex ${'ab'.repeat(32)}`;
    const result = redact(text, ['TOPSECRET-1']);
    expect(result).not.toMatch(/TOPSECRET|eyJ|blnk_rt_|abab/);
    expect(result.split(REDACTED)).toHaveLength(5);
  });

  it('makes provider text safe to log: no control characters, bounded length', () => {
    expect(safeProviderText('bad\r\nINFO forged line', [])).toBe('bad INFO forged line');
    expect(safeProviderText('x'.repeat(500))?.length).toBe(201);
    expect(safeProviderText(42)).toBeUndefined();
  });

  it('keeps only plain, short provider codes', () => {
    expect(safeProviderCode('invalid_grant')).toBe('invalid_grant');
    expect(safeProviderCode('<script>')).toBeUndefined();
    expect(safeProviderCode({})).toBeUndefined();
  });
});
