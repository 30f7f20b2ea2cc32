import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import { type PaymentsAuthEvent, PaymentsAuthEvents, PaymentsAuthTenants } from 'nestjs-payments-auth';
import { PaymentsAuthFixture } from './support/payments-auth.fixture';

// README § Scheduled renewal and resilience › Events
describe('the optional @nestjs/event-emitter bridge', () => {
  let fixture: PaymentsAuthFixture;

  afterEach(async () => {
    await fixture?.close();
  });

  it('re-emits every event as payments-auth.<type> when the app has EventEmitterModule, without a credential', async () => {
    fixture = await PaymentsAuthFixture.start(() => ({}), {}, { imports: [EventEmitterModule.forRoot()] });
    const received: Array<{ name: string; event: PaymentsAuthEvent }> = [];
    fixture.app
      .get(EventEmitter2)
      .onAny((name: string | string[], event: PaymentsAuthEvent) => received.push({ name: String(name), event }));
    const direct: PaymentsAuthEvent[] = [];
    fixture.app.get(PaymentsAuthEvents).events$.subscribe((event) => direct.push(event));
    const token = await fixture.blink.getToken('acme');
    const blnkToken = await fixture.blnk.getToken('acme');
    fixture.sandbox.blink.faults.inject({ kind: 'status', status: 503 });
    await fixture.blink.forceRenewal('acme').catch(() => undefined);
    await fixture.app.get(PaymentsAuthTenants).set('beta', { blnk: { mode: 'api-key', apiKey: 'blnk_beta_key' } });
    expect(received.map(({ name }) => name)).toEqual([
      'payments-auth.token.acquired',
      'payments-auth.token.acquired',
      'payments-auth.refresh_token.rotated',
      'payments-auth.token.call_failed',
      'payments-auth.tenant.added',
    ]);
    // The same events, in the same order, as events$ has them.
    expect(received.map(({ event }) => event)).toEqual(direct);
    expect(received[0].event).toMatchObject({ type: 'token.acquired', provider: 'blink', tenant: 'acme' });
    expect(JSON.stringify(received)).not.toContain(token);
    expect(JSON.stringify(received)).not.toContain(blnkToken);
    expect(JSON.stringify(received)).not.toMatch(/blnk_(rt|beta)_|TOPSECRET/);
  });

  it('is simply absent without EventEmitterModule', async () => {
    fixture = await PaymentsAuthFixture.start();
    await expect(fixture.blink.getToken('acme')).resolves.toEqual(expect.any(String));
  });
});
