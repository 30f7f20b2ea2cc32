import { createServer, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface HoldingProxy {
  url: string;
  /** The next request whose path ends with `pathSuffix` waits until the returned function is called. */
  holdNext(pathSuffix: string): { received: Promise<void>; release: () => void };
  close(): Promise<void>;
}

/**
 * Forwards every request to `target` (a sandbox on 127.0.0.1), except that a request can be held back: a test
 * then decides when its answer arrives relative to other requests (a 401 that lands after a renewal).
 */
export async function startHoldingProxy(target: string): Promise<HoldingProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const holds: Array<{ pathSuffix: string; arrived: () => void; released: Promise<void> }> = [];
  const server = createServer((incoming, outgoing) => {
    const index = holds.findIndex((hold) => (incoming.url ?? '').split('?')[0].endsWith(hold.pathSuffix));
    const hold = index < 0 ? undefined : holds.splice(index, 1)[0];
    hold?.arrived();
    const body: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => body.push(chunk));
    incoming.on('end', () => {
      void (hold?.released ?? Promise.resolve()).then(() => {
        const forwarded = request(
          {
            host: upstream.hostname,
            port: upstream.port,
            path: incoming.url,
            method: incoming.method,
            headers: incoming.headers,
          },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
          },
        );
        forwarded.on('error', () => outgoing.destroy());
        forwarded.end(Buffer.concat(body));
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    holdNext(pathSuffix) {
      let arrived: () => void = () => undefined;
      let release: () => void = () => undefined;
      const received = new Promise<void>((resolve) => (arrived = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      holds.push({ pathSuffix, arrived, released });
      return { received, release };
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
