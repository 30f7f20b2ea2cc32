import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import axios, { type Cancel, type CancelToken, isAxiosError } from 'axios';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { PaymentsHttpService } from 'nestjs-payments-auth';
import { PaymentsAuthFixture } from './support/payments-auth.fixture';
import { sleep, waitFor } from './support/wait-for';

/** What a test server saw of one request: that it arrived, and whether the client went away before an answer. */
interface HeldRequest {
  path: string;
  abandoned: boolean;
  answer: (respond: (res: ServerResponse) => void) => void;
}

/**
 * A server that answers nothing by itself: each request waits in `held` until the test answers it, and is marked
 * abandoned when the client closes its connection first. 127.0.0.1, a random port.
 */
async function startHoldingServer(): Promise<{ url: string; held: HeldRequest[]; server: Server }> {
  const held: HeldRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const request: HeldRequest = { path: req.url ?? '', abandoned: false, answer: (respond) => respond(res) };
    res.on('close', () => (request.abandoned = !res.writableFinished));
    held.push(request);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, held, server };
}

/** The reason a request's cancel token was cancelled with, if it was. */
const cancelledWith = (config: { cancelToken?: CancelToken } | undefined): Cancel | undefined =>
  config?.cancelToken?.reason;

// README § Calling the provider APIs: PaymentsHttpService › Unsubscribing
describe('PaymentsHttpService cancels a request only while it is in flight', () => {
  let fixture: PaymentsAuthFixture;
  let holding: Awaited<ReturnType<typeof startHoldingServer>>;

  beforeEach(async () => {
    fixture = await PaymentsAuthFixture.start();
    holding = await startHoldingServer();
  });

  afterEach(async () => {
    holding.server.closeAllConnections();
    await new Promise((resolve) => holding.server.close(resolve));
    await fixture.close();
  });

  const http = () => fixture.app.get(PaymentsHttpService);
  const intentsUrl = () => `${fixture.sandbox.blink.url}/api/pay/v1/intents`;
  const body = { amount: 500, currency: 'GBP' };

  it('leaves a request that has its answer uncancelled, whether it succeeded or failed', async () => {
    // firstValueFrom unsubscribes on the response; lastValueFrom waits for completion: both tear down.
    const first = await firstValueFrom(http().post(intentsUrl(), body, { paymentsAuth: { tenant: 'acme' } }));
    const last = await lastValueFrom(http().post(intentsUrl(), body, { paymentsAuth: { tenant: 'acme' } }));
    expect([first.status, last.status]).toEqual([201, 201]);
    const failing = firstValueFrom(http().get(`${holding.url}/fails`));
    await waitFor(() => holding.held.length === 1, 2_000);
    holding.held[0].answer((res) => res.writeHead(503).end());
    const failure: unknown = await failing.catch((error: unknown) => error);
    expect(isAxiosError(failure) && failure.response?.status).toBe(503);
    // Each teardown ran as its answer was handed over: firstValueFrom's on the response, the others on completion.
    expect([first, last].map((response) => cancelledWith(response.config))).toEqual([undefined, undefined]);
    expect(isAxiosError(failure) && cancelledWith(failure.config)).toBeUndefined();
  });

  it('cancels a request still waiting for its answer when the caller unsubscribes', async () => {
    const events: string[] = [];
    const subscription = http()
      .get(`${holding.url}/slow`)
      .subscribe({ next: () => events.push('next'), error: () => events.push('error') });
    await waitFor(() => holding.held.length === 1, 2_000);
    subscription.unsubscribe();
    await waitFor(() => holding.held[0].abandoned, 2_000);
    expect(events).toEqual([]);
  });

  it('cancels a stream still waiting for its response when the caller unsubscribes', async () => {
    const subscription = http().get(`${holding.url}/slow-stream`, { responseType: 'stream' }).subscribe();
    await waitFor(() => holding.held.length === 1, 2_000);
    subscription.unsubscribe();
    await waitFor(() => holding.held[0].abandoned, 2_000);
  });

  it('gives a request that reuses an answered config a cancel token of its own', async () => {
    // The retry pattern catchError((error) => http.request(error.config)).
    const failing = firstValueFrom(http().get(`${holding.url}/fails`));
    await waitFor(() => holding.held.length === 1, 2_000);
    holding.held[0].answer((res) => res.writeHead(503).end());
    const failure: unknown = await failing.catch((error: unknown) => error);
    if (!isAxiosError(failure) || failure.config === undefined) throw new Error('expected an Axios error');
    const retry = http().request(failure.config).subscribe();
    await waitFor(() => holding.held.length === 2, 2_000);
    retry.unsubscribe();
    await waitFor(() => holding.held[1].abandoned, 2_000);
  });

  it('leaves a cancel token the caller passed to the caller', async () => {
    const own = axios.CancelToken.source();
    const subscription = http().get(`${holding.url}/own-token`, { cancelToken: own.token }).subscribe();
    await waitFor(() => holding.held.length === 1, 2_000);
    subscription.unsubscribe();
    await sleep(100);
    expect([holding.held[0].abandoned, cancelledWith({ cancelToken: own.token })]).toEqual([false, undefined]);
    own.cancel('the caller’s own reason');
    await waitFor(() => holding.held[0].abandoned, 2_000);
  });

  it('keeps a streamed response readable after the Observable is done with it', async () => {
    const response = firstValueFrom(http().get<Readable>(`${holding.url}/stream`, { responseType: 'stream' }));
    await waitFor(() => holding.held.length === 1, 2_000);
    let finish: () => void = () => undefined;
    holding.held[0].answer((res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).write('first,');
      finish = () => res.end('second');
    });
    const stream = (await response).data;
    await sleep(50); // the teardown has run; the body is still arriving
    finish();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('first,second');
    expect(holding.held[0].abandoned).toBe(false);
  });
});
