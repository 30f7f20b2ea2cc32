import { IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface EchoServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A local server that is not a provider: records every request (to prove what did or did not reach it) and
 * answers `<any path>/redirect?to=URL` with a 302, `<path>/unauthorized` with a 401, `<path>/echo-credential`
 * with a 400 that echoes the credential sent, and `POST <path>/oauth/token` with a token. Listens on 127.0.0.1,
 * a random port.
 */
export async function startEchoServer(): Promise<EchoServer> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const url = new URL(`http://127.0.0.1${req.url ?? '/'}`); // concatenated: a path may start with '//'
    if (url.pathname.endsWith('/redirect') && url.searchParams.has('to')) {
      res.writeHead(302, { Location: url.searchParams.get('to') as string }).end();
      return;
    }
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname.endsWith('/unauthorized')) return void json(401, { error: 'unauthorized' });
    // An API that echoes the credential it was sent in its error body.
    if (url.pathname.endsWith('/echo-credential')) {
      return void json(400, {
        received: req.headers.authorization ?? req.headers['x-blnk-key'],
        nested: [{ again: `${req.headers.authorization}` }],
      });
    }
    // A minimal OAuth token endpoint, so a Blnk OAuth tenant can live on this server.
    if (req.method === 'POST' && url.pathname.endsWith('/oauth/token')) {
      return void json(200, {
        access_token: `at-echo-${requests.length}`,
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: `rt-echo-${requests.length}`,
      });
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: true }));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
