import { readdirSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { ConfigIssue } from '../errors/config.error.js';
import { FileTokenStore } from '../stores/file.store.js';
import type { TokenStore } from '../stores/token-store.interface.js';
import type { PaymentsAuthModuleOptions } from './payments-auth-options.interface.js';
import type { ProviderRules, ValidatedTenantConfig } from './provider-rules.js';

const DIRECTORY_NAME = '.payments-auth';
/** Bounds the walk up from the entry script (a path has far fewer segments in practice). */
const MAX_LEVELS = 64;

/**
 * The store used when the module is given none: a FileTokenStore in `.payments-auth` at the application's root,
 * the nearest folder with a package.json above the entry script. Anchored there, not at the working directory:
 * `node my-app/dist/main` and `cd my-app && node dist/main` must find the same grant, or the second start sends
 * a spent seed refresh token again and the provider revokes the grant.
 *
 * In production a Blnk OAuth grant must live in a store somebody chose (a volume, Redis): a container without
 * its volume would lose the newest refresh token on every deploy. So there the default is refused (a resolver
 * counts: it may return a Blnk OAuth tenant).
 */
export function defaultStore(): TokenStore {
  const store = new FileTokenStore({ directory: defaultStoreDirectory() });
  defaultStores.add(store);
  return store;
}

/** The stores nobody chose (production refuses Blnk OAuth tenants added to them later). */
const defaultStores = new WeakSet<TokenStore>();

export function isDefaultStore(store: TokenStore): boolean {
  return defaultStores.has(store);
}

/** Where the process runs from: its working directory and entry script (parameters, for tests). */
export interface ProcessPlace {
  cwd: string;
  entryScript: string | undefined;
}

/**
 * Why the default store may not be used here, or undefined: production with rotating grants, or grants left in
 * `.payments-auth` under the working directory (the default of earlier versions) that the default, now at the
 * app's root, would not find: starting without them would send a spent seed again.
 */
export function defaultStoreIssue(
  raw: PaymentsAuthModuleOptions,
  providers: readonly ProviderRules[],
  environment: NodeJS.ProcessEnv = process.env,
  place: ProcessPlace = { cwd: process.cwd(), entryScript: process.argv[1] },
): ConfigIssue | undefined {
  const directory = defaultStoreDirectory(place.entryScript, place.cwd);
  const former = path.join(place.cwd, DIRECTORY_NAME);
  if (former !== directory && holdsRecords(former)) {
    return {
      path: 'store',
      problem:
        `token records were found in ${former} (the default store of earlier versions, relative to the working directory), ` +
        `but the default store is now ${directory} (the app's root): move the directory there, or pass ` +
        'store: new FileTokenStore({ directory }) naming the one to use',
    };
  }
  const tenants = typeof raw.tenants === 'object' && raw.tenants !== null ? Object.values(raw.tenants) : [];
  if (
    environment.NODE_ENV !== 'production' ||
    !mayHoldRotatingGrants(tenants, raw.resolveTenant !== undefined, providers)
  )
    return undefined;
  return { path: 'store', problem: PRODUCTION_STORE_PROBLEM };
}

/** The same rule for a tenant added at runtime (`PaymentsAuthTenants.set`) to a module that started without one. */
export function addedTenantStoreIssue(
  config: ValidatedTenantConfig,
  storeChosen: boolean,
  providers: readonly ProviderRules[],
  environment: NodeJS.ProcessEnv = process.env,
): ConfigIssue | undefined {
  if (storeChosen || environment.NODE_ENV !== 'production' || !mayHoldRotatingGrants([config], false, providers))
    return undefined;
  return { path: 'store', problem: PRODUCTION_STORE_PROBLEM };
}

const PRODUCTION_STORE_PROBLEM =
  'NODE_ENV is production and a Blnk OAuth tenant keeps a rotating refresh token, so choose where it lives: ' +
  'store: new FileTokenStore({ directory }) with the directory on a persistent volume, new RedisTokenStore(...) ' +
  "from 'nestjs-payments-auth/redis', new PostgresTokenStore(...) from 'nestjs-payments-auth/postgres', or your own TokenStore";

/** `.payments-auth` at the application's root (see defaultStore); the working directory only without an entry script. */
export function defaultStoreDirectory(entryScript: string | undefined = process.argv[1], cwd = process.cwd()): string {
  return path.join(applicationRoot(entryScript) ?? cwd, DIRECTORY_NAME);
}

/**
 * The nearest folder with a package.json above the entry script. An entry inside node_modules is a runner (jest,
 * a CLI) of the app that installed it, so the search starts at the folder holding that node_modules; only when
 * nothing is found there (a package installed globally) does the entry's own package count.
 */
export function applicationRoot(entryScript: string | undefined): string | undefined {
  if (entryScript === undefined || entryScript === '' || entryScript.startsWith('-')) return undefined;
  let script: string;
  try {
    script = realpathSync(entryScript);
  } catch {
    return undefined; // `node -e`, a REPL: no script to anchor at
  }
  const segments = script.split(path.sep);
  const installedAt = segments.indexOf('node_modules');
  const installer =
    installedAt > 0 ? nearestPackageRoot(segments.slice(0, installedAt).join(path.sep) || path.sep) : undefined;
  return installer ?? nearestPackageRoot(path.dirname(script)) ?? path.dirname(script);
}

function nearestPackageRoot(from: string): string | undefined {
  let directory = from;
  for (let level = 0; level < MAX_LEVELS; level += 1) {
    if (isFile(path.join(directory, 'package.json'))) return directory;
    const parent = path.dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
  return undefined;
}

/** A tenant (raw or validated) whose configuration keeps a rotating grant (Blnk OAuth), or a resolver that may return one. */
export function mayHoldRotatingGrants(
  tenants: Iterable<unknown>,
  hasResolver: boolean,
  providers: readonly ProviderRules[],
): boolean {
  if (hasResolver) return true;
  return [...tenants].some((tenant) => {
    if (typeof tenant !== 'object' || tenant === null) return false;
    return providers.some((provider) =>
      provider.holdsRotatingGrant((tenant as Record<string, unknown>)[provider.name]),
    );
  });
}

/** Whether a token directory holds any record file (`*.json`). */
function holdsRecords(directory: string): boolean {
  try {
    return readdirSync(directory).some((name) => name.endsWith('.json'));
  } catch {
    return false;
  }
}

function isFile(candidate: string): boolean {
  try {
    return statSync(candidate).isFile();
  } catch {
    return false;
  }
}
