import type { Sandbox } from '@app/sandbox';
import { sandboxEnv } from '@app/demo/demo-sandbox';
import type { DemoEnv } from '@app/demo/demo.module';

/** The admin secret the demo tests start the demo with (as `DEMO_ADMIN_SECRET`). */
export const ADMIN_SECRET = 'demo-tests-admin-secret-0123456789';
export const ADMIN = { 'x-admin-secret': ADMIN_SECRET } as const;

/** The demo's environment on a running sandbox, as main.ts builds it, with the tests' admin secret. */
export function demoEnv(sandbox: Sandbox, storeDir: string, publicUrl: string): DemoEnv {
  return {
    ...sandboxEnv(sandbox),
    PAYMENTS_AUTH_STORE_DIR: storeDir,
    DEMO_PUBLIC_URL: publicUrl,
    DEMO_ADMIN_SECRET: ADMIN_SECRET,
  };
}

/** The `name=value` of the binding cookie a start route set, to send back as a browser would. */
export function bindingCookie(setCookie: string[] | string | undefined): string {
  const cookie = [setCookie ?? []].flat().find((line) => line.startsWith('blnk_authorization_binding='));
  if (cookie === undefined) throw new Error('the start route set no binding cookie');
  return cookie.split(';')[0];
}
