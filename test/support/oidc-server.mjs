/*
 * A second, independent OAuth server for the fault suite: oidc-provider (panva/node-oidc-provider), run as its
 * own process because the package is ESM-only. Refresh tokens rotate, and presenting a consumed one revokes the
 * whole grant (oidc-provider's own reuse detection). Its token endpoint is mounted at Blnk's path,
 * POST /oauth/token with client_secret_basic, so the library's Blnk adapter talks to it unchanged.
 *
 * Env: CLIENT_ID, CLIENT_SECRET, TOKEN_LIFETIME_SECONDS, TOKEN_LATENCY_MS. Over IPC it sends
 * { type: 'ready', url, seedRefreshToken } and answers { type: 'counters' }, { type: 'lose-next-answer' } and
 * { type: 'hold-next-call' } (the next token call is never acted on: it hangs until its client goes away).
 */
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import Provider from 'oidc-provider';

const clientId = process.env.CLIENT_ID;
const clientSecret = process.env.CLIENT_SECRET;
const lifetimeSeconds = Number(process.env.TOKEN_LIFETIME_SECONDS ?? 4);
const latencyMs = Number(process.env.TOKEN_LATENCY_MS ?? 250);

const counters = { tokenCalls: 0, tokenIssued: 0, invalidGrant: 0, grantsRevoked: 0 };
const pendingTokenClients = new Set();
let loseNextAnswer = false;
let holdNextCall = false;

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(url, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  routes: { token: '/oauth/token' },
  rotateRefreshToken: true,
  ttl: { AccessToken: lifetimeSeconds, RefreshToken: 3600, Grant: 3600 },
  findAccount: async (_ctx, accountId) => ({ accountId, claims: async () => ({ sub: accountId }) }),
  scopes: ['openid', 'offline_access', 'ledger:read'],
});
provider.on('grant.success', () => (counters.tokenIssued += 1));
provider.on('grant.error', (_ctx, error) => {
  if (error.error === 'invalid_grant') counters.invalidGrant += 1;
});
provider.on('grant.revoked', () => (counters.grantsRevoked += 1));
provider.on('server_error', () => undefined);

provider.use(async (ctx, next) => {
  if (ctx.path !== '/oauth/token') return next();
  counters.tokenCalls += 1;
  const port = ctx.req.socket.remotePort;
  pendingTokenClients.add(port);
  const forget = () => pendingTokenClients.delete(port);
  ctx.req.socket.once('close', forget);
  try {
    if (holdNextCall) {
      holdNextCall = false;
      await new Promise((resolve) => ctx.req.socket.once('close', resolve));
      return;
    }
    await sleep(latencyMs); // a provider across the internet
    if (ctx.req.socket.destroyed) return;
    const lose = loseNextAnswer;
    loseNextAnswer = false;
    await next();
    if (lose) {
      // The server rotated; the answer never reaches the client (which is killed meanwhile).
      ctx.respond = false;
      await new Promise((resolve) => ctx.req.socket.once('close', resolve));
    }
  } finally {
    ctx.req.socket.off('close', forget);
    forget();
  }
});

// The first refresh token, as an authorization-code exchange would have issued it.
const client = await provider.Client.find(clientId);
const grant = new provider.Grant({ accountId: 'merchant-1', clientId });
grant.addOIDCScope('openid offline_access ledger:read');
const grantId = await grant.save();
const seedRefreshToken = await new provider.RefreshToken({
  accountId: 'merchant-1',
  client,
  grantId,
  gty: 'authorization_code',
  scope: 'openid offline_access ledger:read',
}).save();

server.on('request', provider.callback());

process.on('message', (message) => {
  if (message.type === 'counters')
    process.send({ type: 'counters', counters, pendingTokenClients: [...pendingTokenClients] });
  if (message.type === 'hold-next-call') {
    holdNextCall = true;
    process.send({ type: 'hold-next-call' });
  }
  if (message.type === 'lose-next-answer') {
    loseNextAnswer = true;
    process.send({ type: 'lose-next-answer' });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready', url, seedRefreshToken });
