import type { IncomingMessage, ServerResponse } from 'node:http';
import { RunningServer, listen } from '../../libs/payments-auth/src/testing/sandbox/server-lifecycle.util';

export interface ScriptedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface ScriptedAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface ScriptedTokenServer extends RunningServer {
  /** Every request that arrived, oldest first. */
  requests: ScriptedRequest[];
  /** Requests being answered now, and the most at once since the last resetPeak(). */
  inFlight(): { now: number; peak: number };
  resetPeak(): void;
}

/**
 * A token endpoint independent of the sandbox, for answers the sandbox never gives (a refresh without a new
 * refresh token, a body sent one byte at a time): `answer` decides each reply from the request and its index.
 * With `delayMs`, each answer waits that long; with `trickleMs`, the body goes out one byte per interval.
 * Listens on 127.0.0.1, a random port.
 */
export async function startScriptedTokenServer(
  answer: (request: ScriptedRequest, index: number) => ScriptedAnswer,
  options: { delayMs?: number; trickleMs?: number; keepAliveTimeoutMs?: number } = {},
): Promise<ScriptedTokenServer> {
  const requests: ScriptedRequest[] = [];
  const load = { now: 0, peak: 0 };
  const server = await listen(
    async (req: IncomingMessage, res: ServerResponse, closing: AbortSignal) => {
      load.now += 1;
      load.peak = Math.max(load.peak, load.now);
      try {
        await respond(req, res, closing);
      } finally {
        load.now -= 1;
      }
    },
    { keepAliveTimeoutMs: options.keepAliveTimeoutMs },
  );
  async function respond(req: IncomingMessage, res: ServerResponse, closing: AbortSignal): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    requests.push(request);
    const { status, body, headers } = answer(request, requests.length - 1);
    if (options.delayMs !== undefined) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    if (options.trickleMs === undefined) return void res.end(text);
    for (let index = 0; index < text.length && !closing.aborted && !res.destroyed; index += 1) {
      res.write(text[index]);
      await new Promise((resolve) => setTimeout(resolve, options.trickleMs));
    }
    res.end();
  }
  return Object.assign(server, {
    requests,
    inFlight: () => ({ ...load }),
    resetPeak: () => {
      load.peak = load.now;
    },
  });
}

/** A JWT-shaped token with an `exp` claim; unsigned, as nothing here verifies it (we are not its audience). */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}
