export { startBlinkSandbox } from './blink-sandbox.server';
export { startBlnkSandbox } from './blnk-sandbox.server';
export { startSandbox } from './sandbox';
export {
  DEFAULT_BLINK_ACCOUNT,
  DEFAULT_BLNK_API_KEY,
  DEFAULT_BLNK_CLIENT,
  DEFAULT_BLNK_CORE_KEY,
  DEFAULT_BLNK_SEED_REFRESH_TOKEN,
} from './sandbox.defaults';
export type { Fault, FaultInjector } from './faults';
export type {
  BlinkSandbox,
  BlinkSandboxAccount,
  BlinkSandboxOptions,
  BlnkSandbox,
  BlnkSandboxClient,
  BlnkSandboxOptions,
  Sandbox,
  SandboxCounters,
  SandboxOptions,
  SandboxServer,
} from './sandbox.types';
