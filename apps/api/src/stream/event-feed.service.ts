import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { BerthEvent } from '../events/event-map';
import { EventsService } from '../events/events.service';

/** An event with its JSON body (without the `type`/`topic` fields), serialized once for every subscriber. */
export interface FeedEvent {
  event: BerthEvent;
  /** `{"seq":…,"kind":…,"teamId":…,"subject":…,"payload":…,"createdAt":…}` */
  body: string;
}

export function toFeedEvent(event: BerthEvent): FeedEvent {
  const createdAt = event.createdAt instanceof Date ? event.createdAt.toISOString() : String(event.createdAt);
  return {
    event,
    body: JSON.stringify({ seq: event.seq, kind: event.kind, teamId: event.teamId, subject: event.subject, payload: event.payload, createdAt }),
  };
}

/** How long a hole in the live sequence may stay open before the log is read to fill it. */
const GAP_WAIT_MS = 250;

/**
 * The live event log, strictly in sequence order. EventsService emits each event after its
 * transaction commits; two concurrent publishes can finish (and emit) in the opposite order of
 * their sequence numbers. The feed holds an early event until the ones before it arrive, and if a
 * hole stays open (a sequence number burnt by a rolled-back insert, or an event written by another
 * process) it reads the log to fill or skip it. Subscribers therefore see seq N only after every
 * event < N, which is what makes resume-by-sequence gap-free.
 */
@Injectable()
export class EventFeed implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('EventFeed');
  private readonly listeners = new Set<(e: FeedEvent) => void>();
  /** The next sequence number to deliver; 0 until the log's head is known. */
  private next = 0;
  private readonly held = new Map<number, BerthEvent>();
  private gapTimer?: NodeJS.Timeout;
  private filling = false;

  constructor(@Inject(EventsService) private readonly events: EventsService) {}

  async onModuleInit(): Promise<void> {
    this.events.live.on('event', this.onLive);
    const { latest } = await this.events.bounds();
    this.next = Math.max(this.next, latest + 1);
    for (const seq of this.held.keys()) if (seq < this.next) this.held.delete(seq);
    this.flush();
  }

  onModuleDestroy(): void {
    this.events.live.off('event', this.onLive);
    clearTimeout(this.gapTimer);
    this.listeners.clear();
  }

  /** The newest sequence number delivered (or known at start). */
  get head(): number {
    return this.next - 1;
  }

  subscribe(listener: (e: FeedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private readonly onLive = (event: BerthEvent): void => {
    if (this.next && event.seq < this.next) return;
    this.held.set(event.seq, event);
    if (!this.next) return;
    this.flush();
  };

  private flush(): void {
    for (const seq of this.held.keys()) if (seq < this.next) this.held.delete(seq);
    while (this.held.has(this.next)) {
      const event = this.held.get(this.next)!;
      this.held.delete(this.next);
      this.next += 1;
      this.deliver(event);
    }
    if (this.held.size && !this.gapTimer && !this.filling) {
      this.gapTimer = setTimeout(() => void this.fillGap(), GAP_WAIT_MS);
      this.gapTimer.unref();
    }
  }

  private async fillGap(): Promise<void> {
    this.gapTimer = undefined;
    if (!this.held.size) return;
    this.filling = true;
    const firstHeld = Math.min(...this.held.keys());
    try {
      for (;;) {
        const limit = Math.min(1000, Math.max(1, firstHeld - this.next));
        const missing = await this.events.list({ afterSeq: this.next - 1, limit });
        let reachedHeld = missing.length < limit;
        for (const event of missing) {
          if (event.seq >= firstHeld) {
            reachedHeld = true;
            break;
          }
          if (event.seq < this.next) continue;
          this.next = event.seq + 1;
          this.deliver(event);
        }
        if (reachedHeld || this.next >= firstHeld) break;
      }
      // Whatever is still missing below the first held event is not in the log: skip it.
      if (this.next < firstHeld) this.next = firstHeld;
    } catch (err) {
      this.logger.warn(`Could not read the event log to fill a gap before seq ${firstHeld}: ${(err as Error).message}`);
    } finally {
      this.filling = false;
    }
    this.flush();
  }

  private deliver(event: BerthEvent): void {
    const fe = toFeedEvent(event);
    for (const listener of this.listeners) {
      try {
        listener(fe);
      } catch (err) {
        this.logger.error(`An event subscriber failed: ${(err as Error).stack ?? err}`);
      }
    }
  }
}
