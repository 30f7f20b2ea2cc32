import { Logger } from '@nestjs/common';
import { existsSync, mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSandbox } from '@app/sandbox';
import { createDemoApp } from './demo-app';
import { needsSandbox, sandboxEnv } from './demo-sandbox';
import type { DemoEnv } from './demo.module';
import { generateAdminSecret } from './security/admin-secret';

/**
 * `npm run demo`. With real credentials in the environment (or `.env`) it talks to the real hosts; with none
 * it starts the bundled sandbox in-process, so it works on a fresh machine.
 */
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const logger = new Logger('Demo');
  const port = Number(process.env.PORT ?? 3000);
  let env: DemoEnv = { ...process.env, DEMO_PUBLIC_URL: process.env.DEMO_PUBLIC_URL ?? `http://localhost:${port}` };
  // With real credentials a missing DEMO_ADMIN_SECRET stops the start (DemoModule); on the sandbox, where no
  // real tenant can be bound, a secret for this run is made up and told below.
  let generatedSecret: string | undefined;

  // The sandbox's consent page has Allow and Deny buttons, as Blnk's has.
  const sandbox = needsSandbox(env) ? await startSandbox({ blnk: { consentPage: true } }) : undefined;
  if (sandbox) {
    if (!env.DEMO_ADMIN_SECRET) generatedSecret = generateAdminSecret();
    // A fresh token directory per run: the sandbox's grants live in memory and die with it.
    env = {
      ...env,
      ...sandboxEnv(sandbox),
      PAYMENTS_AUTH_STORE_DIR: mkdtempSync(join(tmpdir(), 'payments-auth-demo-')),
      ...(generatedSecret === undefined ? {} : { DEMO_ADMIN_SECRET: generatedSecret }),
    };
    logger.log(
      `No credentials configured: running on the bundled sandbox (Blink ${sandbox.blink.url}, Blnk ${sandbox.blnk.url})`,
    );
  }

  const app = await createDemoApp(env);
  if (sandbox) (app.getHttpServer() as Server).on('close', () => void sandbox.close());
  await app.listen(port, '127.0.0.1');
  const base = `http://localhost:${port}`;
  if (generatedSecret !== undefined) {
    // Once, to the person at the terminal (stderr, not the JSON log a pipeline would collect): the page asks for
    // it to connect a tenant, and the curl lines below read it from the shell.
    process.stderr.write(
      `No DEMO_ADMIN_SECRET set: this run's admin secret is ${generatedSecret} (the page asks for it; for curl: export DEMO_ADMIN_SECRET=${generatedSecret})\n`,
    );
  }
  logger.log(`Demo listening on ${base}: open it for the tenants' status and onboarding. Or try:`);
  const admin = `-H "x-admin-secret: $DEMO_ADMIN_SECRET"`;
  for (const line of [
    `curl ${base}/tenants/acme/tokens`,
    `curl -X POST ${base}/tenants/acme/blink/intents ${admin} -H 'content-type: application/json' -d '{"amount":1000,"currency":"GBP"}'`,
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
