import { SpanKind, metrics, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { firstValueFrom } from 'rxjs';
import { CircuitOpenError, PaymentsAuthMetrics, PaymentsHttpService } from 'nestjs-payments-auth';
import { DEFAULT_BLINK_ACCOUNT, DEFAULT_BLNK_CLIENT, DEFAULT_BLNK_SEED_REFRESH_TOKEN } from '@app/sandbox';
import { PaymentsAuthFixture, acmeTenant } from './support/payments-auth.fixture';

/**
 * OpenTelemetry through the app's SDK: registered globally before the app starts, as OpenTelemetry's docs ask,
 * with in-memory exporters to read back what the library recorded over real token calls and a 401 replay.
 */
// README § Scheduled renewal and resilience › OpenTelemetry
describe('OpenTelemetry metrics and spans', () => {
  const spans = new InMemorySpanExporter();
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 60_000 });
  let fixture: PaymentsAuthFixture;

  beforeAll(() => {
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  });

  afterAll(async () => {
    await fixture?.close();
    await reader.shutdown();
  });

  async function collected(): Promise<
    Map<string, { unit: string; points: Array<{ attributes: Record<string, unknown>; value: unknown }> }>
  > {
    const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics };
    const byName = new Map<
      string,
      { unit: string; points: Array<{ attributes: Record<string, unknown>; value: unknown }> }
    >();
    for (const scope of resourceMetrics.scopeMetrics.filter(
      (candidate) => candidate.scope.name === 'nestjs-payments-auth',
    )) {
      for (const metric of scope.metrics) {
        byName.set(metric.descriptor.name, {
          unit: metric.descriptor.unit,
          points: metric.dataPoints.map(({ attributes, value }) => ({ attributes, value })),
        });
      }
    }
    return byName;
  }

  /** No token, key, secret or refresh token in any span or metric, raw or as the fixtures' TOPSECRET marker. */
  function expectNoSecret(
    finished: ReturnType<InMemorySpanExporter['getFinishedSpans']>,
    byName: Map<string, unknown>,
    tokens: string[],
  ): void {
    const everything = JSON.stringify({
      spans: finished.map(({ name, attributes, status, events }) => ({ name, attributes, status, events })),
      metrics: [...byName],
    });
    const secrets = [
      ...tokens,
      DEFAULT_BLINK_ACCOUNT.apiKey,
      DEFAULT_BLINK_ACCOUNT.secretKey,
      DEFAULT_BLNK_CLIENT.clientSecret,
      DEFAULT_BLNK_SEED_REFRESH_TOKEN,
      'TOPSECRET',
    ];
    for (const secret of secrets) expect(everything).not.toContain(secret);
  }

  it('counts token calls by provider and outcome, times them, gauges expiry, and spans each call and replay without a credential', async () => {
    fixture = await PaymentsAuthFixture.start(); // the 'acme' tenant, with Blink and Blnk OAuth
    const { blink, blnk, sandbox } = fixture;
    const blinkToken = await blink.getToken('acme');
    const blnkToken = await blnk.getToken('acme');
    // A 401 on a cached token: the interceptor renews and replays once.
    sandbox.blink.revokeAccessTokens();
    await firstValueFrom(
      fixture.app
        .get(PaymentsHttpService)
        .post(
          `${sandbox.blink.url}/api/pay/v1/intents`,
          { amount: 100, currency: 'GBP' },
          { paymentsAuth: { tenant: 'acme' } },
        ),
    );
    await expect(blink.getToken('nobody')).rejects.toThrow();

    const byName = await collected();
    expect(byName.get('payments_auth.token_calls')).toMatchObject({ unit: '{call}' });
    const calls = byName.get('payments_auth.token_calls')?.points ?? [];
    expect(calls).toEqual(
      expect.arrayContaining([
        { attributes: { 'payments_auth.provider': 'blink', 'payments_auth.outcome': 'issued' }, value: 2 },
        { attributes: { 'payments_auth.provider': 'blnk', 'payments_auth.outcome': 'issued' }, value: 1 },
      ]),
    );
    expect(byName.get('payments_auth.token_call.duration')).toMatchObject({ unit: 's' });
    expect(byName.get('payments_auth.replays')?.points).toEqual([
      { attributes: { 'payments_auth.provider': 'blink' }, value: 1 },
    ]);
    // Waited for a token call: the first Blink and Blnk requests, and the replay after the 401.
    expect(byName.get('payments_auth.waits')?.points).toEqual(
      expect.arrayContaining([
        { attributes: { 'payments_auth.provider': 'blink' }, value: 2 },
        { attributes: { 'payments_auth.provider': 'blnk' }, value: 1 },
      ]),
    );
    const expiry = byName.get('payments_auth.token.time_to_expiry');
    expect(expiry?.unit).toBe('s');
    // No tenant attribute unless the app opts in: one series per provider, the soonest expiry.
    expect(expiry?.points.map((point) => Object.keys(point.attributes))).toEqual([
      ['payments_auth.provider'],
      ['payments_auth.provider'],
    ]);
    for (const point of expiry?.points ?? []) expect(point.value).toBeGreaterThan(1_700);

    const finished = spans.getFinishedSpans();
    const tokenCalls = finished.filter((span) => span.name === 'payments_auth.token_call');
    expect(tokenCalls).toHaveLength(3);
    // Outgoing calls, as OpenTelemetry's semantic conventions ask: a token call and a replay are client spans.
    expect(finished.map((span) => span.name)).toContain('payments_auth.replay');
    for (const span of finished) expect([span.name, span.kind]).toEqual([span.name, SpanKind.CLIENT]);
    expect(tokenCalls[0].attributes).toMatchObject({
      'payments_auth.provider': 'blink',
      'payments_auth.tenant': 'acme',
      'payments_auth.outcome': 'issued',
    });
    // The replay's own answer: the intent was created with the renewed token.
    expect(finished.filter((span) => span.name === 'payments_auth.replay').map((span) => span.attributes)).toEqual([
      {
        'payments_auth.provider': 'blink',
        'payments_auth.tenant': 'acme',
        'payments_auth.outcome': 'replayed',
        'http.response.status_code': 201,
      },
    ]);
    // An unknown tenant fails before any token call: nothing is recorded for it.
    expect(finished.filter((span) => span.attributes['payments_auth.tenant'] === 'nobody')).toEqual([]);
    expectNoSecret(finished, byName, [
      blinkToken,
      blnkToken,
      ...sandbox.blink.issuedTokens(),
      ...sandbox.blnk.issuedTokens(),
    ]);
  });

  it('records a failed token call with its error code, and gives the gauge a tenant attribute when asked to', async () => {
    await fixture?.close();
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: {
        wrong: {
          blink: { apiKey: 'TOPSECRET-no-such-key', secretKey: 'TOPSECRET-no-such-secret', baseUrl: sandbox.blink.url },
        },
        ok: { blink: acmeTenant(sandbox).blink },
      },
      defaultTenant: undefined,
      telemetry: { tenantAttribute: true },
    }));
    spans.reset();
    await expect(fixture.blink.getToken('wrong')).rejects.toMatchObject({
      code: 'PAYMENTS_AUTH_REAUTHORIZATION_REQUIRED',
    });
    await fixture.blink.getToken('ok');
    const refused = spans.getFinishedSpans().find((span) => span.attributes['payments_auth.tenant'] === 'wrong');
    expect(refused?.attributes).toMatchObject({
      'payments_auth.outcome': 'refused',
      'error.type': 'PAYMENTS_AUTH_REAUTHORIZATION_REQUIRED',
    });
    expect(refused?.status).toMatchObject({ code: 2, message: 'PAYMENTS_AUTH_REAUTHORIZATION_REQUIRED' });
    const byName = await collected();
    // The failed call's counter and duration points carry its error.type too, not only its span.
    const failed = {
      'payments_auth.provider': 'blink',
      'payments_auth.outcome': 'refused',
      'error.type': 'PAYMENTS_AUTH_REAUTHORIZATION_REQUIRED',
    };
    for (const metric of ['payments_auth.token_calls', 'payments_auth.token_call.duration'])
      expect(byName.get(metric)?.points.map((point) => point.attributes)).toContainEqual(failed);
    expectNoSecret(spans.getFinishedSpans(), byName, fixture.sandbox.blink.issuedTokens());
    const expiry = byName.get('payments_auth.token.time_to_expiry')?.points ?? [];
    // (The cumulative reader still holds the first app's per-provider series; the per-tenant ones are new.)
    const perTenant = expiry.filter((point) => 'payments_auth.tenant' in point.attributes);
    expect(perTenant.map((point) => point.attributes)).toEqual([
      { 'payments_auth.provider': 'blink', 'payments_auth.tenant': 'ok' },
    ]);
  });

  it("gauges each provider's soonest expiry, not its latest, when tenants are not attributes", async () => {
    await fixture?.close();
    fixture = await PaymentsAuthFixture.start((sandbox) => ({
      tenants: { early: { blink: acmeTenant(sandbox).blink }, late: { blink: acmeTenant(sandbox).blink } },
      defaultTenant: undefined,
    }));
    await fixture.blink.getToken('early');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await fixture.blink.getToken('late');
    const [early, late] = (
      await Promise.all([fixture.blink.getTokenInfo('early'), fixture.blink.getTokenInfo('late')])
    ).map((info) => info.expiresAt.getTime());
    expect(late - early).toBeGreaterThanOrEqual(1_000);
    const before = Date.now();
    const expiry = (await collected()).get('payments_auth.token.time_to_expiry')?.points ?? [];
    const after = Date.now();
    // (The cumulative reader still holds the earlier apps' series; this app's is the one without a tenant.)
    const blink = expiry.filter(
      (point) =>
        point.attributes['payments_auth.provider'] === 'blink' && !('payments_auth.tenant' in point.attributes),
    );
    expect(blink).toHaveLength(1);
    expect(Number(blink[0].value)).toBeGreaterThanOrEqual((early - after) / 1000);
    expect(Number(blink[0].value)).toBeLessThanOrEqual((early - before) / 1000);
  });

  // README § Scheduled renewal and resilience › Counters
  it('counts circuit rejections, and spans a replay that failed with the error that failed it', async () => {
    await fixture?.close();
    fixture = await PaymentsAuthFixture.start(() => ({
      resilience: { backoffBaseMs: 1, circuitFailureThreshold: 1, circuitCooldownMs: 30_000 },
    }));
    const sumOf = async (name: string) =>
      ((await collected()).get(name)?.points ?? []).reduce((sum, point) => sum + Number(point.value), 0);
    const rejectionsBefore = await sumOf('payments_auth.circuit_rejections');
    spans.reset();
    const { sandbox } = fixture;
    await fixture.blink.getToken('acme');
    // A 401 on the cached token, and the renewal it asks for fails: the replay fails with that error.
    sandbox.blink.revokeAccessTokens();
    sandbox.blink.faults.inject({ kind: 'status', status: 503 });
    const intent = firstValueFrom(
      fixture.app
        .get(PaymentsHttpService)
        .post(
          `${sandbox.blink.url}/api/pay/v1/intents`,
          { amount: 1, currency: 'GBP' },
          { paymentsAuth: { tenant: 'acme' } },
        ),
    );
    await expect(intent).rejects.toMatchObject({ code: 'PAYMENTS_AUTH_PROVIDER_UNAVAILABLE' });
    expect(
      spans
        .getFinishedSpans()
        .filter((span) => span.name === 'payments_auth.replay')
        .map((span) => [span.attributes, span.status.code]),
    ).toEqual([
      [
        {
          'payments_auth.provider': 'blink',
          'payments_auth.tenant': 'acme',
          'payments_auth.outcome': 'failed',
          'error.type': 'PAYMENTS_AUTH_PROVIDER_UNAVAILABLE',
        },
        2,
      ],
    ]);
    // That failure opened the circuit (threshold 1): the next three calls are refused without a token call.
    for (let call = 0; call < 3; call += 1)
      await expect(fixture.blink.getToken('acme')).rejects.toBeInstanceOf(CircuitOpenError);
    expect(sandbox.blink.counters.tokenCalls).toBe(2);
    expect(await sumOf('payments_auth.circuit_rejections')).toBe(rejectionsBefore + 3);
    expect(fixture.app.get(PaymentsAuthMetrics).snapshot()).toMatchObject({
      circuitRejections: 3,
      replays: 1,
      tokenCallFailures: 1,
      tokensIssued: 1,
    });
  });

  // README § Scheduled renewal and resilience › OpenTelemetry
  it('spans a replay that was refused again as failed, with the status, whether the caller accepts a 401 or not', async () => {
    await fixture?.close();
    fixture = await PaymentsAuthFixture.start();
    const { sandbox } = fixture;
    await fixture.blink.getToken('acme');
    sandbox.blink.revokeAccessTokens();
    // Every token the sandbox issues from now on is refused too, so each replay meets a 401 of its own.
    const revokeEachNewToken = setInterval(() => sandbox.blink.revokeAccessTokens(), 1);
    spans.reset();
    const intent = (validateStatus?: () => boolean) =>
      firstValueFrom(
        fixture.app
          .get(PaymentsHttpService)
          .post(
            `${sandbox.blink.url}/api/pay/v1/intents`,
            { amount: 1, currency: 'GBP' },
            { paymentsAuth: { tenant: 'acme' }, ...(validateStatus && { validateStatus }) },
          ),
      );
    try {
      await expect(intent()).rejects.toMatchObject({ response: { status: 401 } });
      expect((await intent(() => true)).status).toBe(401);
    } finally {
      clearInterval(revokeEachNewToken);
    }
    const replays = spans.getFinishedSpans().filter((span) => span.name === 'payments_auth.replay');
    const failedWith401 = {
      'payments_auth.outcome': 'failed',
      'http.response.status_code': 401,
      'error.type': 'HTTP 401',
    };
    expect(replays.map((span) => [span.attributes, span.status.code])).toEqual([
      [expect.objectContaining(failedWith401), 2],
      [expect.objectContaining(failedWith401), 2],
    ]);
  });
});
