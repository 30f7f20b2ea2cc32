import type { IncomingMessage, ServerResponse } from 'node:http';
import { RunningServer, listen } from '@app/sandbox/server-lifecycle.util';

export interface ScriptedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface ScriptedAnswer {
  status: number;
  body: unknown;
}

export interface ScriptedTokenServer extends RunningServer {
  /** Every request that arrived, oldest first. */
  requests: ScriptedRequest[];
}

/**
 * A token endpoint independent of the sandbox, for answers the sandbox never gives (a refresh without a new
 * refresh token, a body sent one byte at a time): `answer` decides each reply from the request and its index.
 * With `trickleMs`, the body goes out one byte per interval. Listens on 127.0.0.1, a random port.
 */
export async function startScriptedTokenServer(
  answer: (request: ScriptedRequest, index: number) => ScriptedAnswer,
  options: { trickleMs?: number } = {},
): Promise<ScriptedTokenServer> {
  const requests: ScriptedRequest[] = [];
  const server = await listen(async (req: IncomingMessage, res: ServerResponse, closing: AbortSignal) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const request = { path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    requests.push(request);
    const { status, body } = answer(request, requests.length - 1);
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json' });
    if (options.trickleMs === undefined) return void res.end(text);
    for (let index = 0; index < text.length && !closing.aborted && !res.destroyed; index += 1) {
      res.write(text[index]);
      await new Promise((resolve) => setTimeout(resolve, options.trickleMs));
    }
    res.end();
  });
  return Object.assign(server, { requests });
}

/** A JWT-shaped token with an `exp` claim; unsigned, as nothing here verifies it (we are not its audience). */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}
