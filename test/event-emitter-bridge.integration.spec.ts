import { EventEmitter2, EventEmitterModule } from '@nestjs/event-emitter';
import type { PaymentsAuthEvent } from 'nestjs-payments-auth';
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
    fixture.app.get(EventEmitter2).onAny((name: string | string[], event: PaymentsAuthEvent) => received.push({ name: String(name), event }));
    const token = await fixture.blink.getToken('acme');
    expect(received).toEqual([{ name: 'payments-auth.token.acquired', event: expect.objectContaining({ type: 'token.acquired', provider: 'blink', tenant: 'acme' }) }]);
    expect(JSON.stringify(received)).not.toContain(token);
  });

  it('is simply absent without EventEmitterModule', async () => {
    fixture = await PaymentsAuthFixture.start();
    await expect(fixture.blink.getToken('acme')).resolves.toEqual(expect.any(String));
  });
});
