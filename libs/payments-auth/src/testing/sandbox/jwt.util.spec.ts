import { signHs256, verifyHs256 } from './jwt.util.js';

describe('jwt.util', () => {
  const secret = 'spec-secret';
  const nowMs = 1_722_347_518_000;
  const claims = { merchant_id: 4398, iat: nowMs / 1000, exp: nowMs / 1000 + 60 };

  it('signs a three-part base64url HS256 token that verifies with the same secret', () => {
    const token = signHs256(claims, secret);
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const header: unknown = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
    expect(header).toEqual({ typ: 'JWT', alg: 'HS256' });
    expect(verifyHs256(token, secret, nowMs)).toEqual({ valid: true, claims });
  });

  it('rejects another secret, a tampered payload and an alg other than HS256', () => {
    const token = signHs256(claims, secret);
    expect(verifyHs256(token, 'other-secret', nowMs)).toEqual({ valid: false, reason: 'signature' });

    const [header, , signature] = token.split('.');
    const forgedClaims = Buffer.from(JSON.stringify({ ...claims, merchant_id: 1 })).toString('base64url');
    expect(verifyHs256(`${header}.${forgedClaims}.${signature}`, secret, nowMs).valid).toBe(false);

    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    expect(verifyHs256(`${noneHeader}.${token.split('.')[1]}.`, secret, nowMs)).toEqual({
      valid: false,
      reason: 'malformed',
    });
    expect(verifyHs256('not-a-jwt', secret, nowMs)).toEqual({ valid: false, reason: 'malformed' });
  });

  it('treats the exp second itself as expired', () => {
    const token = signHs256(claims, secret);
    expect(verifyHs256(token, secret, claims.exp * 1000 - 1).valid).toBe(true);
    expect(verifyHs256(token, secret, claims.exp * 1000)).toEqual({ valid: false, reason: 'expired' });
  });
});
