import { AxiosHeaders, isAxiosError } from 'axios';
import { REDACTED, redactSecrets } from '../observability/redact.js';

/** Headers that carry credentials; their values never leave in an error. */
const CREDENTIAL_HEADERS = new Set(['authorization', 'x-blnk-key', 'proxy-authorization', 'cookie']);
const RAW_HEADER_LINE = /^(authorization|x-blnk-key|proxy-authorization|cookie):[^\r\n]*/gim;

/**
 * Where Node and follow-redirects keep copies of the request headers, reachable from `error.request`:
 * the ClientRequest's raw `_header` block and its `kOutHeaders` map, and the RedirectableRequest that axios
 * hangs on the request and on its socket, whose `_options.headers` are the headers as sent.
 */
const HEADER_HOLDERS = new Set([
  '_redirectable',
  '_currentRequest',
  'socket',
  '_options',
  'kOutHeaders',
  'axios.http.currentReq',
]);
const MAX_DEPTH = 4;

/**
 * Removes credentials from an Axios error before it reaches the caller. Loggers print whole error objects,
 * and `toJSON()` serialises the config, so every copy of the headers is redacted in place. `sent` are the
 * credentials this request carried: an API that echoes them in its error body has them redacted there too.
 */
export function scrubCredentials(error: unknown, sent: readonly string[] = []): unknown {
  if (!isAxiosError(error)) return error;
  for (const config of [error.config, error.response?.config]) {
    if (config?.headers) config.headers = redactAxiosHeaders(config.headers);
  }
  if (error.response !== undefined && sent.length > 0) error.response.data = redactBody(error.response.data, sent, 0);
  const visited = new Set<object>();
  for (const request of [error.request, error.response?.request]) {
    if (isFetchRequest(request)) scrubFetchRequest(error, request);
    else scrubRequest(request, 0, visited);
  }
  return error;
}

/** Strings in a parsed body (bounded depth), or the body text itself; binary bodies are left as they are. */
function redactBody(data: unknown, sent: readonly string[], depth: number): unknown {
  if (typeof data === 'string') return redactSecrets(data, sent);
  if (
    typeof data !== 'object' ||
    data === null ||
    depth > MAX_BODY_DEPTH ||
    ArrayBuffer.isView(data) ||
    data instanceof ArrayBuffer
  )
    return data;
  if (typeof (data as { pipe?: unknown }).pipe === 'function') return data; // a stream: never read here
  const record = data as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const value = record[key];
    const redacted = redactBody(value, sent, depth + 1);
    if (redacted === value) continue;
    try {
      record[key] = redacted;
    } catch {
      return REDACTED; // a frozen body that holds the credential is not shown at all
    }
  }
  return data;
}
const MAX_BODY_DEPTH = 8;

const isFetchRequest = (value: unknown): value is Request => typeof Request === 'function' && value instanceof Request;

/**
 * Axios's fetch adapter leaves the WHATWG Request it sent on the error, headers and all. Its headers are
 * redacted in place; should the platform refuse that, the request is taken off the error instead.
 */
function scrubFetchRequest(error: { request?: unknown; response?: { request?: unknown } }, request: Request): void {
  try {
    for (const name of CREDENTIAL_HEADERS) if (request.headers.has(name)) request.headers.set(name, REDACTED);
  } catch {
    if (error.request === request) error.request = undefined;
    if (error.response?.request === request) error.response.request = undefined;
  }
}

function scrubRequest(holder: unknown, depth: number, visited: Set<object>): void {
  if (typeof holder !== 'object' || holder === null || visited.has(holder) || depth > MAX_DEPTH) return;
  visited.add(holder);
  const record = holder as Record<string | symbol, unknown>;
  if (typeof record._header === 'string') record._header = redactRawHead(record._header);
  redactUnsentHeads(record);
  if (typeof record.headers === 'object' && record.headers !== null)
    redactHeaderBag(record.headers as Record<string, unknown>);
  for (const key of Reflect.ownKeys(record)) {
    const name = typeof key === 'symbol' ? (key.description ?? '') : key;
    if (!HEADER_HOLDERS.has(name)) continue;
    if (name === 'kOutHeaders') redactHeaderBag(record[key] as Record<string, unknown>);
    else scrubRequest(record[key], depth + 1, visited);
  }
  // Newer Node keeps a request's socket behind a getter (OutgoingMessage.prototype.socket), which own keys miss.
  if ('_header' in record) scrubRequest(record.socket, depth + 1, visited);
}

const redactRawHead = (head: string) => head.replace(RAW_HEADER_LINE, (_line, name: string) => `${name}: ${REDACTED}`);

/**
 * A request that got no answer (connection refused) leaves its head unsent on the socket's `_pendingData`: a string,
 * or `{ chunk }` entries when the head and a body were queued together. `inspect`, a logger's default, prints it.
 */
function redactUnsentHeads(record: Record<string | symbol, unknown>): void {
  const pending = record._pendingData;
  if (typeof pending === 'string') record._pendingData = redactRawHead(pending);
  if (!Array.isArray(pending)) return;
  for (const entry of pending as Array<{ chunk?: unknown } | null>) {
    if (typeof entry?.chunk === 'string') entry.chunk = redactRawHead(entry.chunk);
  }
}

/** Header objects come as `{ name: value }` or, in Node's kOutHeaders, `{ lowername: [name, value] }`. */
function redactHeaderBag(headers: Record<string, unknown> | null | undefined): void {
  if (typeof headers !== 'object' || headers === null) return;
  for (const name of Object.keys(headers)) {
    if (!CREDENTIAL_HEADERS.has(name.toLowerCase())) continue;
    const value = headers[name];
    headers[name] = Array.isArray(value) ? [value[0], REDACTED] : REDACTED;
  }
}

// `InstanceType`: Axios's CommonJS declarations export AxiosHeaders as a value only.
function redactAxiosHeaders(headers: unknown): InstanceType<typeof AxiosHeaders> {
  const copy = AxiosHeaders.from(headers as InstanceType<typeof AxiosHeaders>);
  for (const name of CREDENTIAL_HEADERS) {
    if (copy.has(name)) copy.set(name, REDACTED);
  }
  return copy;
}
