import { UnknownTenantError } from './unknown-tenant.error.js';

describe('UnknownTenantError', () => {
  it('names a well-formed tenant id', () => {
    const error = new UnknownTenantError('acme-eu.1');
    expect(error.message).toContain("'acme-eu.1'");
    expect(error.tenant).toBe('acme-eu.1');
    expect(error.validId).toBe(true);
  });

  // README § Security model › What is promised (UnknownTenantError never echoes an id that breaks the rules)
  it.each([
    ['CR/LF', 'acme\r\nX-Injected: 1'],
    ['100 KB', 'a'.repeat(100_000)],
    ['129 characters', 'a'.repeat(129)],
    ['a leading dot', '.hidden'],
    ['a quote', "acme'"],
  ])('never echoes an id with %s: it says the id is invalid, in bounded text', (_, id) => {
    const error = new UnknownTenantError(id);
    const everything = `${error.message} ${JSON.stringify(error)} ${error.stack}`;
    expect(everything).not.toContain(id);
    expect(everything).not.toMatch(/[\r]/);
    expect(error.message.length).toBeLessThan(200);
    expect(error.message).toMatch(/^Invalid payments-auth tenant id/);
    expect(error.tenant).toBeUndefined();
    expect(error.validId).toBe(false);
  });
});
