// The public API report (api/*.api.md, one per entry point), made by API Extractor from the built declarations.
//   node scripts/api-report.mjs           fails when the API differs from the checked-in report (CI)
//   node scripts/api-report.mjs --update  rewrites the report after a deliberate API change
// Also fails on API Extractor's warnings, e.g. a public signature naming a type that is not exported.
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const update = process.argv.includes('--update');
const entries = {
  'nestjs-payments-auth': 'index',
  'nestjs-payments-auth-redis': 'redis',
  'nestjs-payments-auth-postgres': 'postgres',
  'nestjs-payments-auth-terminus': 'terminus',
  'nestjs-payments-auth-testing': 'testing',
};

let failed = false;
for (const [reportName, entry] of Object.entries(entries)) {
  const config = ExtractorConfig.prepare({
    configObjectFullPath: undefined,
    packageJsonFullPath: join(root, 'package.json'),
    configObject: {
      projectFolder: root,
      mainEntryPointFilePath: join(root, 'dist', 'esm', `${entry}.d.ts`),
      compiler: { tsconfigFilePath: join(root, 'tsconfig.lib.esm.json') },
      apiReport: {
        enabled: true,
        reportFileName: reportName,
        reportFolder: join(root, 'api'),
        reportTempFolder: join(root, 'dist', 'api-report'),
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      messages: {
        extractorMessageReporting: {
          default: { logLevel: 'warning' },
          'ae-missing-release-tag': { logLevel: 'none' },
          'ae-undocumented': { logLevel: 'none' },
          // The subpath entries use types the main entry exports (TokenStore, PaymentsAuthStatus, ...).
          'ae-forgotten-export': { logLevel: entry === 'index' ? 'warning' : 'none' },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
  });
  // Findings about the API itself (ae-*: e.g. a forgotten export) fail both modes; a changed report fails only the check.
  let findings = 0;
  const messageCallback = (message) => {
    if (message.category === 'Extractor' && (message.logLevel === 'warning' || message.logLevel === 'error'))
      findings += 1;
  };
  const result = Extractor.invoke(config, { localBuild: update, showVerboseMessages: false, messageCallback });
  const changed = result.apiReportChanged && !update;
  if (findings > 0 || changed || result.errorCount > 0) {
    failed = true;
    console.error(
      `${entry}: ${changed ? 'the public API changed: review it, then run `npm run api:update`' : `${findings} API findings, ${result.errorCount} errors`}`,
    );
  } else if (result.apiReportChanged) {
    console.log(`${entry}: report updated (api/${reportName}.api.md)`);
  }
}
process.exit(failed ? 1 : 0);
