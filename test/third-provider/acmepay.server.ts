import { type AddressInfo } from 'node:net';
import * as http from 'node:http';

/** A small AcmePay: a token endpoint and one API path that wants a live token in X-Acme-Token. */
export interface AcmePayServer {
  baseUrl: string;
  tokenCalls: number;
  /** Tokens the API accepts; emptying it makes the API answer 401 (a token revoked early). */
  live: Set<string>;
  /** The X-Acme-Token and Authorization headers each API request carried. */
  apiRequests: Array<{ token?: string; authorization?: string }>;
  close(): Promise<void>;
}

export async function startAcmePay(keyId: string, secret: string): Promise<AcmePayServer> {
  const state = { tokenCalls: 0, live: new Set<string>(), apiRequests: [] as AcmePayServer['apiRequests'] };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const send = (status: number, body: unknown) =>
        response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      if (request.method === 'POST' && request.url === '/v1/token') {
        state.tokenCalls += 1;
        const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { key_id?: string; secret?: string };
        if (body.key_id !== keyId || body.secret !== secret) return send(401, { error: 'bad key' });
        const token = `acme-token-${state.tokenCalls}`;
        state.live.add(token);
        return send(200, { token, ttl_seconds: 600 });
      }
      if (request.url?.startsWith('/v1/balance')) {
        const token = request.headers['x-acme-token'] as string | undefined;
        state.apiRequests.push({ token, authorization: request.headers.authorization });
        return token !== undefined && state.live.has(token)
          ? send(200, { balance: 42 })
          : send(401, { error: 'token' });
      }
      send(404, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as AcmePayServer;
}
