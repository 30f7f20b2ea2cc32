import * as fc from 'fast-check';
import { propertyRuns } from '../../../../test/support/property-runs.js';
import { REDACTED, safeProviderText } from './redact.js';

/** Printable ASCII without the brackets of the REDACTED marker, as secrets and client ids are in practice. */
const secretChar = fc
  .integer({ min: 0x20, max: 0x7e })
  .filter((code) => code !== 0x5b && code !== 0x5d)
  .map((code) => String.fromCharCode(code));
const secret = fc
  .string({ unit: secretChar, minLength: 8, maxLength: 64 })
  .filter((value) => !REDACTED.includes(value));
const clientId = fc.string({ unit: secretChar, minLength: 1, maxLength: 24 });
/** Surrounding provider text: anything at all, control characters and other encodings' alphabets included. */
const noise = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.base64String({ maxLength: 40 }),
);

type Encoding = (secret: string, clientId: string) => string;
const ENCODINGS: Record<string, Encoding> = {
  raw: (value) => value,
  uriComponent: (value) => encodeURIComponent(value),
  lowerCaseEscapes: (value) => encodeURIComponent(value).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
  form: (value) => new URLSearchParams({ refresh_token: value }).toString(),
  twiceEncoded: (value) => encodeURIComponent(encodeURIComponent(value)),
  everyBytePercentEncoded: (value) =>
    Buffer.from(value)
      .toString('hex')
      .replace(/../g, (pair) => `%${pair}`),
  json: (value) => JSON.stringify({ client_secret: value }),
  jsonWithEscapedSlashes: (value) => JSON.stringify({ client_secret: value }).replace(/\//g, '\\/'),
  hex: (value) => Buffer.from(value).toString('hex'),
  base64: (value) => Buffer.from(value).toString('base64'),
  base64url: (value) => Buffer.from(value).toString('base64url'),
  basicHeader: (value, id) => `Basic ${Buffer.from(`${id}:${value}`).toString('base64')}`,
  inLongerBase64: (value, id) =>
    Buffer.from(`grant_type=refresh_token&client_id=${id}&refresh_token=${value}&x=1`).toString('base64url'),
};

/** Every decoding of `text` an attacker reading a log could try, looking for the whole secret. */
function reveals(text: string, value: string): boolean {
  const candidates = [text, text.replace(/\\(["\\/])/g, '$1')];
  const percentDecode = (encoded: string) =>
    encoded.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
  const percentDecoded = percentDecode(text);
  candidates.push(percentDecoded, percentDecoded.replace(/\+/g, ' '), percentDecode(percentDecoded));
  for (const run of text.match(/[0-9A-Fa-f]{16,}/g) ?? []) {
    for (const start of [0, 1]) candidates.push(Buffer.from(run.slice(start), 'hex').toString('utf8'));
  }
  for (const run of text.match(/[A-Za-z0-9+/_-]{8,}/g) ?? []) {
    const standard = run.replace(/-/g, '+').replace(/_/g, '/');
    for (let start = 0; start < 4; start += 1)
      candidates.push(Buffer.from(standard.slice(start), 'base64').toString('utf8'));
  }
  return candidates.some((candidate) => candidate.includes(value));
}

// README § Security model › How it is checked
describe('redaction of provider text (property-based)', () => {
  it('no secret survives in any of its spellings, wherever it sits in random text', () => {
    fc.assert(
      fc.property(
        secret,
        clientId,
        fc.constantFrom(...Object.keys(ENCODINGS)),
        noise,
        noise,
        (value, id, encoding, before, after) => {
          const echoed = `${before}${ENCODINGS[encoding](value, id)}${after}`;
          // What the Blnk adapter passes: the secret itself and the Basic pair it was sent in.
          const shown = safeProviderText(echoed, [value, `${id}:${value}`]) ?? '';
          expect(reveals(shown, value)).toBe(false);
          expect(shown.length).toBeLessThanOrEqual(201);
        },
      ),
      propertyRuns(5_000),
    );
  });

  it('a secret cut off at the input bound leaves no prefix of itself behind', () => {
    fc.assert(
      fc.property(secret, fc.integer({ min: 1, max: 7 }), (value, kept) => {
        // The long hex run is redacted to one marker, so the cut-off start of the secret would be in view.
        const text = `${'ab'.repeat(1_024).slice(0, 2_048 - kept - 1)} ${value}`;
        const shown = safeProviderText(text, [value]) ?? '';
        expect(shown.endsWith(value.slice(0, kept))).toBe(false);
      }),
      propertyRuns(500),
    );
  });
});
