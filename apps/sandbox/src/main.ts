import {
  DEFAULT_BLINK_ACCOUNT,
  DEFAULT_BLNK_API_KEY,
  DEFAULT_BLNK_CLIENT,
  DEFAULT_BLNK_CORE_KEY,
  DEFAULT_BLNK_SEED_REFRESH_TOKEN,
  startSandbox,
} from './index';

/** Ports are fixed by default so the demo app and curl examples can hard-code them. */
function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number between 0 and 65535`);
  }
  return port;
}

async function main(): Promise<void> {
  const sandbox = await startSandbox({
    host: process.env.SANDBOX_HOST || '127.0.0.1',
    blinkPort: portFromEnv('BLINK_SANDBOX_PORT', 4010),
    blnkPort: portFromEnv('BLNK_SANDBOX_PORT', 4020),
  });

  // The credentials below are public sandbox fixtures; issued tokens are never printed.
  console.log(
    [
      `Blink sandbox: ${sandbox.blink.url}`,
      `  POST ${sandbox.blink.url}/api/pay/v1/tokens`,
      `  api_key:    ${DEFAULT_BLINK_ACCOUNT.apiKey}`,
      `  secret_key: ${DEFAULT_BLINK_ACCOUNT.secretKey}`,
      `Blnk sandbox:  ${sandbox.blnk.url}`,
      `  POST ${sandbox.blnk.url}/oauth/token`,
      `  client_id:     ${DEFAULT_BLNK_CLIENT.clientId}`,
      `  client_secret: ${DEFAULT_BLNK_CLIENT.clientSecret}`,
      `  seed refresh_token (single use): ${DEFAULT_BLNK_SEED_REFRESH_TOKEN}`,
      `  Cloud API key: ${DEFAULT_BLNK_API_KEY}`,
      `  Core X-Blnk-Key: ${DEFAULT_BLNK_CORE_KEY}`,
      'Press Ctrl+C to stop.',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    sandbox.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(`Sandbox failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
