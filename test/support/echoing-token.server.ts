import type { IncomingMessage } from 'node:http';
import { RunningServer, listen } from '../../libs/payments-auth/src/testing/sandbox/server-lifecycle.util';

/**
 * A token endpoint that is broken in a way real ones are: it refuses every request and echoes the request
 * back in its error text, raw and in the encodings a debugging proxy or framework might use. Blink-style
 * (`message`) and OAuth-style (`error_description`) fields both carry it. Listens on 127.0.0.1, a random port.
 */
export function startEchoingTokenServer(): Promise<RunningServer> {
  return listen(async (req, res) => {
    const body = await readBody(req);
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
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
