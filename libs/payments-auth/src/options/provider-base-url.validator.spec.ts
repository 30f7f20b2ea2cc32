import { describeBaseUrlProblem, isLoopbackHost } from './provider-base-url.validator';

// README § Security model › What is promised (keys and secrets only over https or to a loopback host)
describe('describeBaseUrlProblem: why a provider base URL cannot carry credentials', () => {
  it.each([
    [undefined, 'must be a non-empty URL string'],
    ['', 'must be a non-empty URL string'],
    [42, 'must be a non-empty URL string'],
    ['secure.blinkpayment.co.uk', 'must be an absolute URL such as https://host'],
    ['ftp://h.example', 'must use https'],
    ['http://h.example', 'must use https (plain http is allowed only for loopback hosts)'],
    ['http://127.0.0.1.nip.io', 'must use https (plain http is allowed only for loopback hosts)'],
    ['https://user:pw@h.example', 'must not contain user info'],
    ['https://user@h.example', 'must not contain user info'],
    ['https://:pw@h.example', 'must not contain user info'],
    ['https://@h.example', 'must not contain user info'],
    [' \thttps://@h.example', 'must not contain user info'],
    ['https:\\\\@h.example', 'must not contain user info'],
    ['https://h.example/a@b', undefined],
    ['https://h.example?x=1', 'must not contain a query or fragment'],
    ['https://h.example#top', 'must not contain a query or fragment'],
    ['https://h.example?', 'must not contain a query or fragment'],
    ['https://h.example#', 'must not contain a query or fragment'],
    ['https://h.example/api', undefined],
    ['http://localhost:4010', undefined],
    ['http://127.1:4010', undefined],
    ['http://[::1]:4010', undefined],
  ])('%j: %s', (value, problem) => {
    expect(describeBaseUrlProblem(value)).toBe(problem);
  });

  it('counts localhost, ::1 and 127.0.0.0/8 as loopback, and nothing that only looks like them', () => {
    expect(['localhost', '[::1]', '127.0.0.1', '127.255.0.9'].map(isLoopbackHost)).toEqual([true, true, true, true]);
    expect(['128.0.0.1', '127.0.0.1.nip.io', 'localhost.example', '::1'].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
