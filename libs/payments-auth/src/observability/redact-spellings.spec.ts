import { REDACTED, redact, redactSecrets, safeProviderCode, safeProviderText } from './redact.js';

const SECRET = 'se/cr"et\\+ key';
/** Base64 of `prefix + secret`: where a Basic header puts a client secret after `client_id:`. */
const base64After = (prefix: string, secret = SECRET) => Buffer.from(`${prefix}${secret}`).toString('base64');

// README § Security model › What is promised (no secret or token in a log line, message, toJSON or inspect)
describe('redaction: every spelling an echoing server could use', () => {
  it.each([
    ['as sent', SECRET],
    ['JSON-escaped', JSON.stringify(SECRET).slice(1, -1)],
    ['JSON-escaped with \\/', JSON.stringify(SECRET).slice(1, -1).replace(/\//g, '\\/')],
    ['hex', Buffer.from(SECRET).toString('hex')],
    ['HEX', Buffer.from(SECRET).toString('hex').toUpperCase()],
    [
      'every byte percent-encoded',
      Buffer.from(SECRET)
        .toString('hex')
        .replace(/../g, (pair) => `%${pair}`),
    ],
    ['URL component', encodeURIComponent(SECRET)],
    ['URL component, lower-case escapes', encodeURIComponent(SECRET).replace(/%../g, (e) => e.toLowerCase())],
    ['URL component twice', encodeURIComponent(encodeURIComponent(SECRET))],
    ['form-encoded', new URLSearchParams([['', SECRET]]).toString().slice(1)],
  ])('%s', (_, spelling) => {
    expect(redact(`before ${spelling} after`, [SECRET])).toBe(`before ${REDACTED} after`);
  });

  it.each(['', 'i', 'id', 'client_id:'])('in base64 after %j (each alignment), and in base64url', (prefix) => {
    const secret = 'TOPSECRET-client-secret?>?>';
    for (const encoded of [
      base64After(prefix, secret),
      base64After(prefix, secret).replace(/\+/g, '-').replace(/\//g, '_'),
    ])
      expect(redact(`Basic ${encoded}`, [secret])).not.toContain(encoded.slice(8, 20));
  });

  it('replaces the longest spelling first, so one secret inside another goes whole', () => {
    expect(redact('k=abcdefgh', ['abcd', 'abcdefgh'])).toBe(`k=${REDACTED}`);
  });

  it('leaves short values and non-strings alone, and text without a secret exactly as it was', () => {
    expect(redact('the cat sat', ['cat'])).toBe('the cat sat');
    expect(redact('a wxyz b', ['wxyz', undefined as unknown as string])).toBe(`a ${REDACTED} b`);
    expect(redact('path a%2fb and %7e', ['unrelated-secret'])).toBe('path a%2fb and %7e');
  });

  it('redacts only the secrets in redactSecrets, not what merely looks like a credential', () => {
    const hexId = 'ab'.repeat(20);
    expect(redactSecrets(`id ${hexId} key TOPSECRET-x`, ['TOPSECRET-x'])).toBe(`id ${hexId} key ${REDACTED}`);
    expect(redact(`id ${hexId}`)).toBe(`id ${REDACTED}`);
  });
});

// README § Errors (provider-supplied text: bounded, redacted, no control characters; only plain short codes)
describe('provider text and codes', () => {
  it('is nothing for an empty or non-string value', () => {
    expect(safeProviderText('')).toBeUndefined();
    expect(safeProviderText(undefined)).toBeUndefined();
  });

  it('keeps 200 characters, cutting longer text with an ellipsis', () => {
    expect(safeProviderText('y'.repeat(200))).toBe('y'.repeat(200));
    expect(safeProviderText(`${'y'.repeat(201)}`)).toBe(`${'y'.repeat(200)}…`);
  });

  it('turns every run of control characters into one space, and trims', () => {
    expect(safeProviderText('\u0007 bad\u0000\u001f\u007fline \n')).toBe('bad line');
  });

  it('looks at 2 048 characters at most, dropping the end where a cut secret could start', () => {
    const secret = 'TOPSECRET-0123456789';
    // The secret starts 10 characters before the cut: only 'TOPSECRET-' is in what is looked at, and is dropped.
    expect(safeProviderText(`a${' '.repeat(2_037)}${secret}${'z'.repeat(100)}`, [secret])).toBe('a');
    // Text that was not cut loses nothing at its end, up to exactly 2 048 characters.
    expect(safeProviderText(`${' '.repeat(2_047)}w`, [secret])).toBe('w');
    expect(safeProviderText('bad line', [secret])).toBe('bad line');
  });

  it.each([
    ['invalid_grant', 'invalid_grant'],
    ['Rate limited 2.0', 'Rate limited 2.0'],
    ['x'.repeat(64), 'x'.repeat(64)],
    ['x'.repeat(65), undefined],
    ['', undefined],
    ['invalid_grant\n', undefined],
    ['!invalid_grant', undefined],
    ['TOPSECRET-code', undefined],
    [`blnk_${'r'.repeat(20)}`, undefined],
  ])('keeps the code %j as %j', (code, kept) => {
    expect(safeProviderCode(code, ['TOPSECRET-code'])).toBe(kept);
  });
});
