import { sharedDetails } from './shared-details.js';

describe('sharedDetails', () => {
  it('returns one frozen object for equal details, arrays included', () => {
    const first = sharedDetails({
      paymentTypes: ['credit-card', 'open-banking'],
      currencies: ['GBP'],
      paymentApiStatus: true,
    });
    const second = sharedDetails({
      paymentTypes: ['credit-card', 'open-banking'],
      currencies: ['GBP'],
      paymentApiStatus: true,
    });
    expect(second).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.paymentTypes)).toBe(true);
    expect(() => (first.paymentTypes as string[]).push('cash')).toThrow(TypeError);
  });

  it('keeps different details apart and copies arrays rather than freezing the caller’s', () => {
    const callerArray = ['EUR'];
    const euro = sharedDetails({ currencies: callerArray });
    expect(euro).not.toBe(sharedDetails({ currencies: ['USD'] }));
    expect(euro).toEqual({ currencies: ['EUR'] });
    expect(Object.isFrozen(callerArray)).toBe(false);
  });

  it('leaves out the fields JSON would drop, as a store gives the details back', () => {
    const details = sharedDetails({ scope: undefined, tokenType: 'Bearer' });
    expect(Object.keys(details)).toEqual(['tokenType']);
  });

  it('stops sharing beyond a bound, returning details as given', () => {
    for (let index = 0; index < 300; index += 1) sharedDetails({ scope: `scope-${index}` });
    const unshared = { scope: 'one more' };
    expect(sharedDetails(unshared)).toBe(unshared);
  });
});
