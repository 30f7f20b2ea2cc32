import { Logger } from '@nestjs/common';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '@app/sandbox';
import { createDemoApp } from './demo-app';
import { needsSandbox, sandboxEnv } from './demo-sandbox';
import type { DemoEnv } from './demo.module';

/**
 * `npm run demo`. With real credentials in the environment (or `.env`) it talks to the real hosts; with none
 * it starts the bundled sandbox in-process, so it works on a fresh machine.
 */
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const logger = new Logger('Demo');
  const port = Number(process.env.PORT ?? 3000);
  let env: DemoEnv = { ...process.env, DEMO_PUBLIC_URL: process.env.DEMO_PUBLIC_URL ?? `http://localhost:${port}` };

  // The sandbox's consent page has Allow and Deny buttons, as Blnk's has.
  const sandbox = needsSandbox(env) ? await startSandbox({ blnk: { consentPage: true } }) : undefined;
  if (sandbox) {
    // A fresh token directory per run: the sandbox's grants live in memory and die with it.
    env = { ...env, ...sandboxEnv(sandbox), PAYMENTS_AUTH_STORE_DIR: mkdtempSync(join(tmpdir(), 'payments-auth-demo-')) };
    logger.log(`No credentials configured: running on the bundled sandbox (Blink ${sandbox.blink.url}, Blnk ${sandbox.blnk.url})`);
  }

  const app = await createDemoApp(env);
  if (sandbox) app.getHttpServer().on('close', () => void sandbox.close());
  await app.listen(port, '127.0.0.1');
  const base = `http://localhost:${port}`;
  logger.log(`Demo listening on ${base}: open it for the tenants' status and onboarding. Or try:`);
  for (const line of [
    `curl ${base}/tenants/acme/tokens`,
    `curl -X POST ${base}/tenants/acme/blink/intents -H 'content-type: application/json' -d '{"amount":1000,"currency":"GBP"}'`,
    `curl ${base}/tenants/acme/blnk/ledgers`,
    `curl -H 'x-tenant-id: globex' ${base}/ledgers`,
    `curl ${base}/health`,
    `curl ${base}/metrics`,
  ]) {
    logger.log(`  ${line}`);
  }
}

void main().catch((error: unknown) => {
  new Logger('Demo').error(error instanceof Error ? error.message : 'Demo failed to start');
  process.exit(1);
});
