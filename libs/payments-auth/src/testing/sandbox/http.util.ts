import type { IncomingMessage, ServerResponse } from 'node:http';

/** Token and API bodies are tiny; anything bigger is a client bug or abuse, so it is refused early. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export type HeaderMap = Record<string, string | number>;

/** Raised by readBody so the caller can answer 413 on its own route (and count it there). */
export class PayloadTooLargeError extends Error {
  constructor(readonly limitBytes: number) {
    super(`Request body exceeds ${limitBytes} bytes`);
    this.name = 'PayloadTooLargeError';
  }
}

/**
 * Buffers the request body, refusing it as soon as it passes the cap (from Content-Length when announced,
 * otherwise while streaming) so a huge upload never sits in memory.
 */
export function readBody(req: IncomingMessage, limitBytes = DEFAULT_MAX_BODY_BYTES): Promise<Buffer> {
  const announced = Number(req.headers['content-length']);
  if (Number.isFinite(announced) && announced > limitBytes) {
    return Promise.reject(new PayloadTooLargeError(limitBytes));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limitBytes) {
        req.off('data', onData);
        // Keep draining without storing, so the 413 can still be written on this socket.
        req.resume();
        reject(new PayloadTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, received)));
    req.once('error', reject);
  });
}

/** Writes a complete response in one go; Content-Length lets keep-alive clients reuse the socket. */
export function sendRaw(
  res: ServerResponse,
  status: number,
  body: string,
  contentType: string,
  headers: HeaderMap = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const payload = Buffer.from(body, 'utf8');
  res.writeHead(status, {
    ...headers,
    'Content-Type': contentType,
    'Content-Length': payload.length,
  });
  res.end(payload);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: HeaderMap = {}): void {
  sendRaw(res, status, JSON.stringify(body), 'application/json', headers);
}

export interface BasicCredentials {
  username: string;
  password: string;
}

/** Parses `Authorization: Basic base64(user:pass)`; the password may itself contain ':'. */
export function parseBasicAuth(header: string | undefined): BasicCredentials | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return undefined;
  return { username: decoded.slice(0, separator), password: decoded.slice(separator + 1) };
}

export function parseBearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match ? match[1] : undefined;
}

/** Form bodies: the last value wins for repeated keys, which is enough for OAuth token requests. */
export function parseForm(body: Buffer): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
}

/** Returns the parsed object, or undefined when the body is not a JSON object (arrays and scalars included). */
export function parseJsonObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // Not JSON at all: the caller answers with its provider's validation error.
  }
  return undefined;
}

/** Media type without parameters, lower-cased: `application/json; charset=utf-8` → `application/json`. */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

export function requestPath(req: IncomingMessage): URL {
  // The base is a placeholder: only pathname and query are read.
  return new URL(req.url ?? '/', 'http://sandbox.invalid');
}
