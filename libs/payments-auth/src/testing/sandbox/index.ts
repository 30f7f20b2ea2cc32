export { startBlinkSandbox } from './blink-sandbox.server.js';
export { startBlnkSandbox } from './blnk-sandbox.server.js';
export { startSandbox } from './sandbox.js';
export {
  DEFAULT_BLINK_ACCOUNT,
  DEFAULT_BLNK_API_KEY,
  DEFAULT_BLNK_CLIENT,
  DEFAULT_BLNK_CORE_KEY,
  DEFAULT_BLNK_SEED_REFRESH_TOKEN,
} from './sandbox.defaults.js';
export type { Fault, FaultInjector } from './faults.js';
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
} from './sandbox.types.js';
