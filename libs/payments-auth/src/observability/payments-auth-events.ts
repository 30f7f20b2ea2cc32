import { Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Observable, Subject } from 'rxjs';
import type { PaymentsAuthEvent } from './payments-auth-event.interface';

interface EventEmitterLike {
  emit(event: string, payload: unknown): boolean;
}

/**
 * The event stream: subscribe to `events$`. When the application has `@nestjs/event-emitter`
 * (EventEmitterModule.forRoot()), every event is also emitted there as `payments-auth.<type>`.
 */
@Injectable()
export class PaymentsAuthEvents implements OnModuleDestroy {
  private readonly subject = new Subject<PaymentsAuthEvent>();
  private readonly logger = new Logger('PaymentsAuth');
  private readonly emitter?: EventEmitterLike;
  readonly events$: Observable<PaymentsAuthEvent> = this.subject.asObservable();

  constructor(@Optional() moduleRef?: ModuleRef) {
    this.emitter = moduleRef ? findEventEmitter(moduleRef) : undefined;
  }

  emit(event: PaymentsAuthEvent): void {
    this.subject.next(event);
    try {
      this.emitter?.emit(`payments-auth.${event.type}`, event);
    } catch {
      // A listener's failure must not break token handling; the subject already delivered the event.
      this.logger.warn(`an event-emitter listener for payments-auth.${event.type} threw`);
    }
  }

  onModuleDestroy(): void {
    this.subject.complete();
  }
}

/** `@nestjs/event-emitter` is optional: look it up only if it is installed and registered. */
function findEventEmitter(moduleRef: ModuleRef): EventEmitterLike | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { EventEmitter2 } = require('@nestjs/event-emitter') as { EventEmitter2: new () => EventEmitterLike };
    return moduleRef.get(EventEmitter2, { strict: false });
  } catch {
    return undefined;
  }
}
