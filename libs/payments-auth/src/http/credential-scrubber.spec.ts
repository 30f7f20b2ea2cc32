import { AxiosError, AxiosHeaders, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { REDACTED } from '../observability/redact.js';
import { scrubCredentials } from './credential-scrubber.js';

const TOKEN = 'TOPSECRET-access-token';
const config = (): InternalAxiosRequestConfig => ({
  headers: new AxiosHeaders({ Authorization: `Bearer ${TOKEN}`, 'X-Blnk-Key': TOKEN, Accept: 'application/json' }),
});
const response = (data: unknown, request?: unknown): AxiosResponse =>
  ({ data, status: 400, statusText: 'Bad Request', headers: {}, config: config(), request }) as AxiosResponse;
const errorWith = (request: unknown, data?: unknown) =>
  new AxiosError(
    'Request failed',
    'ERR_BAD_REQUEST',
    config(),
    request,
    data === undefined ? undefined : response(data, request),
  );

// README § Calling the provider APIs: PaymentsHttpService › Errors (no credential in a thrown Axios error)
describe('scrubCredentials', () => {
  it('leaves anything but an Axios error as it is', () => {
    const plain = new Error(TOKEN);
    expect(scrubCredentials(plain, [TOKEN])).toBe(plain);
  });

  it("redacts the credential headers of the error's and the response's config, and keeps the others", () => {
    const error = errorWith({}, {}) as AxiosError;
    scrubCredentials(error);
    for (const headers of [error.config?.headers, error.response?.config.headers]) {
      expect(headers?.get('Authorization')).toBe(REDACTED);
      expect(headers?.get('X-Blnk-Key')).toBe(REDACTED);
      expect(headers?.get('Accept')).toBe('application/json');
    }
  });

  it('redacts credentials the API echoed in its body, at any depth up to 8, only those sent', () => {
    const body = { error: `bad ${TOKEN}`, nested: { list: [`x ${TOKEN}`, 5, null] }, id: 'ab'.repeat(20) };
    const error = errorWith({}, body) as AxiosError<typeof body>;
    scrubCredentials(error, [TOKEN]);
    expect(error.response?.data).toEqual({
      error: `bad ${REDACTED}`,
      nested: { list: [`x ${REDACTED}`, 5, null] },
      id: 'ab'.repeat(20),
    });
    const text = errorWith({}, `echo ${TOKEN}`) as AxiosError<string>;
    scrubCredentials(text, [TOKEN]);
    expect(text.response?.data).toBe(`echo ${REDACTED}`);
    let deep: Record<string, unknown> = { leaf: TOKEN };
    for (let level = 0; level < 9; level += 1) deep = { deeper: deep };
    const tooDeep = errorWith({}, deep) as AxiosError;
    scrubCredentials(tooDeep, [TOKEN]);
    expect(JSON.stringify(tooDeep.response?.data)).toContain(TOKEN); // past the bound: left as it is
    const untouched = errorWith({}, { echoed: TOKEN }) as AxiosError;
    scrubCredentials(untouched); // nothing sent to look for
    expect(untouched.response?.data).toEqual({ echoed: TOKEN });
  });

  it('shows a frozen body that holds a credential not at all; binary bodies and streams are not read', () => {
    const frozen = errorWith({}, Object.freeze({ echoed: TOKEN })) as AxiosError;
    scrubCredentials(frozen, [TOKEN]);
    expect(frozen.response?.data).toBe(REDACTED);
    const binary = Buffer.from(TOKEN);
    const stream = { pipe: () => undefined, text: TOKEN };
    for (const data of [binary, stream]) {
      const error = errorWith({}, data) as AxiosError;
      scrubCredentials(error, [TOKEN]);
      expect(error.response?.data).toBe(data);
    }
    expect(stream.text).toBe(TOKEN);
  });

  it("redacts the request's raw header block, its header maps, and the redirectable copies, however reached", () => {
    const outHeaders = Symbol('kOutHeaders');
    const currentRequest: Record<string | symbol, unknown> = {
      _header: `GET / HTTP/1.1\r\nAuthorization: Bearer ${TOKEN}\r\nx-blnk-key: ${TOKEN}\r\nAccept: */*\r\n\r\n`,
      [outHeaders]: { authorization: ['Authorization', `Bearer ${TOKEN}`], accept: ['Accept', '*/*'] },
    };
    const redirectable = {
      _options: { headers: { Authorization: `Bearer ${TOKEN}`, Cookie: `s=${TOKEN}`, Accept: '*/*' } },
      _currentRequest: currentRequest,
    };
    const request = { _redirectable: redirectable, socket: { _redirectable: redirectable }, headers: null };
    const error = errorWith(request, {}) as AxiosError;
    scrubCredentials(error);
    expect(currentRequest._header).toBe(
      `GET / HTTP/1.1\r\nAuthorization: ${REDACTED}\r\nx-blnk-key: ${REDACTED}\r\nAccept: */*\r\n\r\n`,
    );
    expect(currentRequest[outHeaders]).toEqual({
      authorization: ['Authorization', REDACTED],
      accept: ['Accept', '*/*'],
    });
    expect(redirectable._options.headers).toEqual({ Authorization: REDACTED, Cookie: REDACTED, Accept: '*/*' });
  });

  it('walks only the known holders, four levels at most, and each object once', () => {
    const beyond = { headers: { authorization: TOKEN } };
    const elsewhere = { headers: { authorization: TOKEN } };
    let chain: Record<string, unknown> = { _options: beyond };
    for (let level = 0; level < 4; level += 1) chain = { _redirectable: chain };
    const cyclic: Record<string, unknown> = { headers: { authorization: TOKEN }, other: elsewhere };
    cyclic._redirectable = cyclic;
    scrubCredentials(errorWith(chain));
    scrubCredentials(errorWith(cyclic));
    expect(beyond.headers.authorization).toBe(TOKEN); // five levels down
    expect(elsewhere.headers.authorization).toBe(TOKEN); // not a holder of headers
    expect((cyclic.headers as Record<string, unknown>).authorization).toBe(REDACTED);
  });

  it("redacts a fetch Request's credential headers in place", () => {
    const request = new Request('https://api.example/', {
      headers: { Authorization: `Bearer ${TOKEN}`, Accept: '*/*' },
    });
    const error = errorWith(request, {}) as AxiosError;
    scrubCredentials(error);
    expect(request.headers.get('authorization')).toBe(REDACTED);
    expect(request.headers.get('accept')).toBe('*/*');
    expect(error.request).toBe(request);
  });
});
