import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { BerthEvent, EventKind, EventMap } from './event-map';
import { EventsRepository } from './events.repository';

/**
 * Publishes events: persisted first (append-only, gap-free sequence), then emitted in-process
 * on `live` for the WebSocket stream. A publish that fails to persist throws; nothing is emitted.
 */
@Injectable()
export class EventsService {
  readonly live = new EventEmitter().setMaxListeners(0);

  constructor(@Inject(EventsRepository) private readonly repo: EventsRepository) {}

  async publish<K extends EventKind>(teamId: string | null, kind: K, payload: EventMap[K], subject?: string): Promise<BerthEvent<K>> {
    const event = await this.repo.append(teamId, kind, payload, subject);
    this.live.emit('event', event);
    return event;
  }

  list(filter: Parameters<EventsRepository['list']>[0]): Promise<BerthEvent[]> {
    return this.repo.list(filter);
  }

  /** The oldest and newest sequence numbers still in the log (0 when empty). */
  bounds(): Promise<{ oldest: number; latest: number }> {
    return this.repo.bounds();
  }

  /** Retention: deletes events older than `cutoff` (never the newest one). */
  pruneBefore(cutoff: Date): Promise<number> {
    return this.repo.pruneBefore(cutoff);
  }
}
