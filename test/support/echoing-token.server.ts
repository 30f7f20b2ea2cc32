import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface EchoingTokenServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A token endpoint that is broken in a way real ones are: it refuses every request and echoes the request
 * back in its error text, raw and in the encodings a debugging proxy or framework might use. Blink-style
 * (`message`) and OAuth-style (`error_description`) fields both carry it. Listens on 127.0.0.1, a random port.
 */
export async function startEchoingTokenServer(): Promise<EchoingTokenServer> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const echo = [
        `auth ${req.headers.authorization ?? '-'}`,
        `body ${body}`,
        `url-encoded ${encodeURIComponent(body)}`,
        `lower-case escapes ${encodeURIComponent(body).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase())}`,
        `base64 ${Buffer.from(body).toString('base64')}`,
        `base64url ${Buffer.from(body).toString('base64url')}`,
        `json ${JSON.stringify(body)}`,
      ].join(' | ');
      const answer = JSON.stringify({ success: false, error: 'invalid_request', message: echo, error_description: echo });
      res.writeHead(400, { 'Content-Type': 'application/json' }).end(answer);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
