import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setMaxListeners } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { sendJson } from './http.util.js';

/** `closing` is aborted when the server starts closing, so long waits (injected delays) can give up. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse, closing: AbortSignal) => Promise<void>;

export interface RunningServer {
  url: string;
  /** TCP connections accepted since start, and the most open at once: what a client's socket pool cost. */
  connections: () => ConnectionStats;
  /** A closure, so it can be passed on detached (`close: server.close`). */
  close: () => Promise<void>;
}

export interface ConnectionStats {
  opened: number;
  peakOpen: number;
  /** Open now. */
  open: number;
}

export interface ListenOptions {
  host?: string;
  port?: number;
  /** How long the server keeps an idle keep-alive connection (default 5 s, advertised as `Keep-Alive: timeout=5`). */
  keepAliveTimeoutMs?: number;
}

/**
 * Starts a plain node:http server and tracks every socket, because keep-alive clients (fetch, axios agents)
 * would otherwise keep server.close() waiting until their idle timeout.
 */
export async function listen(handler: RequestHandler, options: ListenOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const closing = new AbortController();
  // Every delayed request listens on this one signal; hundreds at once is expected, not a leak.
  setMaxListeners(0, closing.signal);

  const server: Server = createServer((req, res) => {
    handler(req, res, closing.signal).catch(() => {
      // Deliberately not logged: the error could carry a request body with credentials in it.
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
      else res.destroy();
    });
  });
  // Advertised as `Keep-Alive: timeout=5`; undici (fetch) and Node's agent drop idle sockets about a second
  // earlier, so benchmarks reuse connections without racing a server-side close.
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const stats = { opened: 0, peakOpen: 0 };
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    stats.opened += 1;
    stats.peakOpen = Math.max(stats.peakOpen, sockets.size);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      closing.abort();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closed;
  };
  return { url: `http://${urlHost(host)}:${port}`, connections: () => ({ ...stats, open: sockets.size }), close };
}

/** Wildcard binds are reachable on loopback; IPv6 literals need brackets inside a URL. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
