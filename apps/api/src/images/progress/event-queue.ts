import { Logger } from '@nestjs/common';
import type { EventKind, EventMap } from '../../events/event-map';
import type { EventsService } from '../../events/events.service';

/**
 * Publishes progress events one after another, in order, without holding up the engine stream.
 * A failure to persist one is logged and does not stop the work it describes.
 */
export class EventQueue {
  private static readonly logger = new Logger('ImageProgressEvents');
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly events: EventsService,
    private readonly teamId: string,
    private readonly subject: string,
  ) {}

  publish<K extends EventKind>(kind: K, payload: EventMap[K]): void {
    this.tail = this.tail
      .then(() => this.events.publish(this.teamId, kind, payload, this.subject))
      .then(
        () => undefined,
        (err: unknown) => EventQueue.logger.warn(`Could not record ${kind} for ${this.subject}: ${(err as Error)?.message ?? err}`),
      );
  }

  flush(): Promise<void> {
    return this.tail;
  }
}
