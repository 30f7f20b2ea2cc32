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
 * answers `GET <any path>/redirect?to=URL` with a 302, for redirect tests. Listens on 127.0.0.1, a random port.
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
