/**
 * Which NestJS the suite really runs on: 11 from the repo's own dependencies, or 12 in the Node 24 run
 * (scripts/test-on-node.sh sets PAYMENTS_AUTH_EXPECT_NEST_MAJOR), so that run cannot silently test 11 again.
 */
describe('the NestJS this suite runs on', () => {
  it('is the major the run asked for', () => {
    // Resolved the way every spec resolves @nestjs/* (moduleNameMapper included).
    const { version } = jest.requireActual<{ version: string }>('@nestjs/core/package.json');
    expect(version.split('.')[0]).toBe(process.env.PAYMENTS_AUTH_EXPECT_NEST_MAJOR ?? '11');
  });
});
