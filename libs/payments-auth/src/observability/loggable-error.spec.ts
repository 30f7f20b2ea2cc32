import { ProviderUnavailableError } from '../errors/provider-unavailable.error.js';
import { describeError } from './loggable-error.js';

describe('describeError', () => {
  // README § Security model › What is promised (no secret in a log line: a foreign error told by class and code only)
  it('tells our own errors in full, anything else by class and code only', () => {
    const ours = new ProviderUnavailableError({ provider: 'blink', tenant: 'acme' }, 'HTTP 503');
    expect(describeError(ours)).toBe(ours.message);
    expect(describeError(Object.assign(new TypeError('Bearer abc.def'), { code: 'ERR_X' }))).toBe('TypeError ERR_X');
    expect(describeError(new Error('password=hunter2'))).toBe('Error');
    expect(describeError('password=hunter2')).toBe('unknown error');
  });
});
