import { AsyncLocalStorage } from 'node:async_hooks';

interface TenantScope {
  tenant: string;
}

/** One storage for the process, so code without DI (scripts, queue workers) can use it too. */
const storage = new AsyncLocalStorage<TenantScope>();

/**
 * Runs `work` with `tenant` as the current tenant: Axios requests made anywhere inside it (however deep the
 * await chain) get that tenant's credentials unless they name another one in `paymentsAuth.tenant`.
 * AsyncLocalStorage rather than request-scoped providers, which would re-create every dependant per request.
 */
export function runWithTenant<T>(tenant: string, work: () => T): T {
  return storage.run({ tenant }, work);
}

/** The tenant set by the nearest enclosing `runWithTenant` (or the tenant middleware), if any. */
export function currentTenant(): string | undefined {
  return storage.getStore()?.tenant;
}
