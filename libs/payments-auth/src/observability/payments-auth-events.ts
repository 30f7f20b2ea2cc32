import { Injectable, Logger, OnModuleDestroy, OnModuleInit, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Observable, Subject } from 'rxjs';
import type { PaymentsAuthEvent } from './payments-auth-event.interface.js';

interface EventEmitterLike {
  emit(event: string, payload: unknown): boolean;
}

/**
 * The event stream: subscribe to `events$`. When the application has `@nestjs/event-emitter`
 * (EventEmitterModule.forRoot()), every event is also emitted there as `payments-auth.<type>`.
 */
@Injectable()
export class PaymentsAuthEvents implements OnModuleInit, OnModuleDestroy {
  private readonly subject = new Subject<PaymentsAuthEvent>();
  private readonly logger = new Logger('PaymentsAuth');
  private emitter?: EventEmitterLike;
  readonly events$: Observable<PaymentsAuthEvent> = this.subject.asObservable();

  /** @internal Created by Nest's injector. */
  constructor(@Optional() private readonly moduleRef?: ModuleRef) {}

  /** Before any token call: the engines start emitting only once the application is up. */
  async onModuleInit(): Promise<void> {
    this.emitter = this.moduleRef ? await findEventEmitter(this.moduleRef) : undefined;
  }

  /** @internal The library's own engines and interceptor emit; apps only subscribe. */
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

/**
 * `@nestjs/event-emitter` is optional: look it up only if it is installed and registered. A dynamic import,
 * which the CommonJS build turns into a require and the ESM build keeps, so both find the app's copy.
 */
async function findEventEmitter(moduleRef: ModuleRef): Promise<EventEmitterLike | undefined> {
  try {
    const { EventEmitter2 } = (await import('@nestjs/event-emitter')) as { EventEmitter2: new () => EventEmitterLike };
    return moduleRef.get(EventEmitter2, { strict: false });
  } catch {
    return undefined;
  }
}
