import type { PaymentsAuthEvent } from '../../observability/payments-auth-event.interface.js';
import { PaymentsAuthEvents } from '../../observability/payments-auth-events.js';
import { PaymentsAuthMetrics } from '../../observability/payments-auth-metrics.js';

/** The real event stream and counters, with every event kept for the test to read. */
export function recordingObservers(): {
  events: PaymentsAuthEvents;
  metrics: PaymentsAuthMetrics;
  emitted: PaymentsAuthEvent[];
  close(): void;
} {
  const events = new PaymentsAuthEvents();
  const emitted: PaymentsAuthEvent[] = [];
  const subscription = events.events$.subscribe((event) => emitted.push(event));
  return {
    events,
    metrics: new PaymentsAuthMetrics(),
    emitted,
    close: () => {
      subscription.unsubscribe();
      events.onModuleDestroy();
    },
  };
}
