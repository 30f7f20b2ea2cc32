import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlnkGrantStore } from './blnk-grant.store.js';
import { parseBearer, requestPath, sendJson } from './http.util.js';
import type { SandboxCounters } from './sandbox.types.js';

const UNAUTHORIZED = { error: 'unauthorized' };

interface DataApiState {
  counters: SandboxCounters;
  ledger: { ledger_id: string; name: string; created_at: string };
  apiKeys: ReadonlySet<string>;
  coreKeys: ReadonlySet<string>;
  grants: Pick<BlnkGrantStore, 'isAccessTokenLive'>;
}

/** The protected endpoints of the Blnk sandbox: Cloud's data API (bearer) and Core's (X-Blnk-Key). */
export function blnkDataApi({ counters, ledger, apiKeys, coreKeys, grants }: DataApiState) {
  const handleDataLedgers = (req: IncomingMessage, res: ServerResponse): void => {
    counters.apiCalls += 1;
    const token = parseBearer(req.headers.authorization);
    // Blnk Cloud accepts either an OAuth access token or a static API key as the bearer credential.
    if (!token || !(grants.isAccessTokenLive(token) || apiKeys.has(token))) {
      counters.apiUnauthorized += 1;
      sendJson(res, 401, UNAUTHORIZED, { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    const instanceId = requestPath(req).searchParams.get('instance_id');
    if (!instanceId) {
      sendJson(res, 400, { error: 'invalid_request', error_description: 'instance_id is required' });
      return;
    }
    sendJson(res, 200, { instance_id: instanceId, ledgers: [{ ledger_id: ledger.ledger_id, name: ledger.name }] });
  };

  const handleCoreLedgers = (req: IncomingMessage, res: ServerResponse): void => {
    counters.apiCalls += 1;
    const key = req.headers['x-blnk-key'];
    if (typeof key !== 'string' || !coreKeys.has(key)) {
      counters.apiUnauthorized += 1;
      sendJson(res, 401, UNAUTHORIZED);
      return;
    }
    sendJson(res, 200, [{ ...ledger, meta_data: {} }]);
  };

  return { handleDataLedgers, handleCoreLedgers };
}

/** Only absolute http(s) URIs are redirect targets; anything else could smuggle a javascript: or data: URL. */
export function parseRedirectUri(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
