import { jest } from '@jest/globals';

/**
 * Which NestJS the suite really runs on: 12 from the repo's own dependencies, or 11 in the run that maps every
 * `@nestjs/*` import to a NestJS 11 install (scripts/jest.sh sets PAYMENTS_AUTH_EXPECT_NEST_MAJOR), so that run
 * cannot silently test 12 again.
 */
// README § Toolchain › NestJS 12 and 11
describe('the NestJS this suite runs on', () => {
  it('is the major the run asked for', () => {
    // Resolved the way every spec resolves @nestjs/* (moduleNameMapper included).
    const { version } = jest.requireActual<{ version: string }>('@nestjs/core/package.json');
    expect(version.split('.')[0]).toBe(process.env.PAYMENTS_AUTH_EXPECT_NEST_MAJOR ?? '12');
  });
});
