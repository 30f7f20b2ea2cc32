import { parseBasicAuth, parseBearer, parseForm, parseJsonObject } from './http.util.js';

describe('http.util', () => {
  const basic = (value: string): string => `Basic ${Buffer.from(value).toString('base64')}`;

  it('parses Basic credentials, keeping colons inside the password', () => {
    expect(parseBasicAuth(basic('client:sec:ret'))).toEqual({ username: 'client', password: 'sec:ret' });
    expect(parseBasicAuth(`basic ${Buffer.from('a:b').toString('base64')}`)).toEqual({ username: 'a', password: 'b' });
    expect(parseBasicAuth(basic('no-colon'))).toBeUndefined();
    expect(parseBasicAuth('Bearer abc')).toBeUndefined();
    expect(parseBasicAuth(undefined)).toBeUndefined();
  });

  it('parses Bearer tokens', () => {
    expect(parseBearer('Bearer abc.def')).toBe('abc.def');
    expect(parseBearer('bearer  abc ')).toBe('abc');
    expect(parseBearer('Bearer')).toBeUndefined();
    expect(parseBearer('Basic abc')).toBeUndefined();
  });

  it('parses form and JSON-object bodies', () => {
    expect(parseForm(Buffer.from('grant_type=refresh_token&refresh_token=blnk_rt_a%2Bb'))).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'blnk_rt_a+b',
    });
    expect(parseJsonObject(Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(parseJsonObject(Buffer.from('[1]'))).toBeUndefined();
    expect(parseJsonObject(Buffer.from('null'))).toBeUndefined();
    expect(parseJsonObject(Buffer.from('{'))).toBeUndefined();
  });
});
