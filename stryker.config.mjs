// StrykerJS: `npm run test:mutation [unit...]` (scripts/mutation.sh) runs it once per unit below. See CONTRIBUTING.md.
const src = 'libs/payments-auth/src';

/**
 * The modules where a mutant is cheap to test, by folder, each with the specs that exercise it in about a second.
 * A unit's specs are all Stryker runs against its mutants (only the tests covering a mutant): the slow suites that
 * would also catch some of them (waiting out a token lifetime, restarting a store) would make a run take hours, so
 * a mutant that survives here is a fast test the folder lacks.
 */
export const UNITS = {
  options: {
    mutate: [`${src}/options/**/!(*.spec|*.interface|injection-tokens).ts`],
    specs: [`${src}/options/`],
  },
  renewal: {
    mutate: [`${src}/renewal/**/!(*.spec|*.interface).ts`],
    specs: [`${src}/renewal/`],
  },
  http: {
    mutate: [`${src}/http/**/!(*.spec).ts`],
    // The interceptor and the filter live inside a Nest app: these suites run one over the sandbox's HTTP.
    specs: [
      `${src}/http/`,
      'test/http-interceptor.integration',
      'test/credential-targeting.integration',
      'test/interceptor-reach.integration',
      'test/exception-filter.integration',
      'test/telemetry.integration',
    ],
  },
  observability: {
    mutate: [`${src}/observability/redact.ts`],
    specs: [`${src}/observability/`],
  },
  providers: {
    mutate: [
      `${src}/providers/retry-after.ts`,
      `${src}/providers/blink/{blink.protocol,blink-token.response,blink.rules}.ts`,
      `${src}/providers/blnk/{blnk.protocol,blnk-token.response,blnk.rules}.ts`,
    ],
    // The provider rules are what the module's option validation runs for each tenant.
    specs: [`${src}/providers/`, `${src}/options/module-options.validator`],
  },
  stores: {
    mutate: [`${src}/stores/{token-cipher,sealed-record,record-protection}.ts`],
    specs: [`${src}/stores/file-store-reseal`, `${src}/stores/token-cipher`, `${src}/stores/memory`],
  },
  engine: {
    mutate: [`${src}/engine/reauthorization-latch.ts`],
    specs: [`${src}/engine/acquire-mode`, `${src}/engine/token-engine`, `${src}/engine/reauthorization-latch`],
  },
};

const name = process.env.PAYMENTS_AUTH_MUTATION_UNIT ?? 'renewal';
const unit = UNITS[name];
if (unit === undefined) throw new Error(`no mutation unit '${name}'; the units are ${Object.keys(UNITS).join(', ')}`);
// Read by jest.mutation.config.js in Stryker's test-runner processes, which inherit this environment.
process.env.PAYMENTS_AUTH_MUTATION_SPECS = JSON.stringify(unit.specs);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: unit.mutate,
  testRunner: 'jest',
  jest: { configFile: 'jest.mutation.config.js', enableFindRelatedTests: false },
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 10000,
  ignoreStatic: true,
  // Each unit keeps its own results: a re-run tests only the mutants whose code or covering tests changed.
  incremental: true,
  incrementalFile: `reports/mutation/${name}.incremental.json`,
  reporters: ['clear-text', 'json'],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  clearTextReporter: { reportTests: false, reportMutants: true, reportScoreTable: true },
  ignorePatterns: ['dist', 'libs/payments-auth/dist', 'bench', 'docs', 'test/consumers', 'reports', '.payments-auth'],
  cleanTempDir: 'always',
};
