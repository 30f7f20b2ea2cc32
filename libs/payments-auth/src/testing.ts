// `nestjs-payments-auth/testing`: for your tests, never loaded by the module itself (an app that does not import
// this entry point pays nothing for it).
export {
  startSandbox,
  type TestSandbox,
  type TestSandboxCredentials,
  type TestSandboxOptions,
} from './testing/test-sandbox.js';
export type {
  BlinkSandbox,
  BlinkSandboxAccount,
  BlnkSandbox,
  BlnkSandboxClient,
  Sandbox,
  SandboxCounters,
  SandboxServer,
} from './testing/sandbox/sandbox.types.js';
export type { Fault, FaultInjector } from './testing/sandbox/faults.js';
export type { ConnectionStats } from './testing/sandbox/server-lifecycle.util.js';
export { fixedTokens, type FixedTokens } from './testing/fixed-tokens.js';
export {
  tokenStoreConformance,
  type ConformanceCheck,
  type StoreCapability,
  type TokenStoreConformanceOptions,
} from './testing/store-conformance.js';
