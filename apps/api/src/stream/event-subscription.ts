import type { BerthEvent } from '../events/event-map';
import type { EventsService } from '../events/events.service';
import { EventFeed, FeedEvent, toFeedEvent } from './event-feed.service';
import { StreamError } from './stream-errors';
import type { StreamMetrics } from './stream-metrics';
import type { SubscribedMessage } from './stream-protocol';
import type { Subscription, SubscriptionContext } from './subscription';

/** Which events of the log a subscription wants. */
export interface EventFilter {
  /** Only this team's events (undefined: every team's — owner tokens). */
  teamId?: string;
  /** Exact kinds the database can filter on while replaying (undefined: all kinds). */
  dbKinds?: string[];
  /** The full test, applied to every event (replayed and live). */
  matches(event: BerthEvent): boolean;
}

/** Rows read from Postgres per replay query. */
const REPLAY_PAGE = 500;
/** Live events held while a replay is running; past this the replay simply reads further in Postgres. */
const MAX_PENDING = 2_000;

/**
 * An event-topic subscription. With `since`, it replays from Postgres, then continues live with
 * no gap and no duplicate: it listens to the (ordered) live feed before the first query, holds
 * live events while replaying, and on catching up releases those after the last replayed one.
 *
 * Backpressure: replay goes only as fast as the socket drains (it waits, it never drops). Live
 * delivery never waits: if the socket's buffer is full the subscription ends with `dropped` and
 * the sequence to resubscribe from, so nothing is lost and nothing piles up in the server.
 */
export class EventSubscription implements Subscription {
  readonly carries = 'events' as const;
  private mode: 'starting' | 'replay' | 'live' | 'stopped' = 'starting';
  private pending: FeedEvent[] = [];
  private overflowed = false;
  /** Every matching event with seq ≤ cursor has been delivered. */
  private cursor = 0;
  private unlisten?: () => void;
  private readonly prefix: string;

  constructor(
    private readonly ctx: SubscriptionContext,
    private readonly deps: { feed: EventFeed; events: EventsService; metrics: StreamMetrics },
    private readonly filter: EventFilter,
    private readonly since: number | undefined,
    private readonly announce: Partial<SubscribedMessage> = {},
  ) {
    this.prefix = `{"type":"event","topic":${JSON.stringify(ctx.topic)},`;
  }

  get topic(): string {
    return this.ctx.topic;
  }

  async start(): Promise<void> {
    this.unlisten = this.deps.feed.subscribe(this.onLive);
    if (this.since === undefined) {
      this.cursor = this.deps.feed.head;
      this.mode = 'live';
      this.subscribed({ latestSeq: this.cursor });
      return;
    }
    const { oldest, latest } = await this.deps.events.bounds();
    if (this.stopped) return;
    if (this.since > latest) {
      throw new StreamError('SINCE_AHEAD', `since ${this.since} is ahead of the event log, whose newest sequence is ${latest}`, { latestSeq: latest });
    }
    this.checkRetained(oldest, this.since);
    this.cursor = this.since;
    this.mode = 'replay';
    this.subscribed({ since: this.since, latestSeq: latest });
    await this.replay();
  }

  stop(): void {
    if (this.mode === 'stopped') return;
    this.mode = 'stopped';
    this.pending = [];
    this.unlisten?.();
  }

  private get stopped(): boolean {
    return this.mode === 'stopped';
  }

  private subscribed(extra: Partial<SubscribedMessage>): void {
    this.ctx.sender.send({ type: 'subscribed', ...(this.ctx.ref !== undefined ? { ref: this.ctx.ref } : {}), topic: this.topic, carries: 'events', ...extra, ...this.announce });
  }

  private checkRetained(oldest: number, after: number): void {
    if (oldest > 0 && after < oldest - 1) {
      throw new StreamError(
        'SINCE_EXPIRED',
        `Events after ${after} are no longer retained (BERTH_EVENT_RETENTION_HOURS); the oldest available is ${oldest}: resubscribe with since ${oldest - 1}, or without since`,
        { oldestSeq: oldest },
      );
    }
  }

  private async replay(): Promise<void> {
    for (;;) {
      const before = this.cursor;
      const page = await this.deps.events.list({ afterSeq: before, teamId: this.filter.teamId, kinds: this.filter.dbKinds, limit: REPLAY_PAGE });
      if (this.stopped) return;
      // A prune that ran meanwhile could have removed rows this query should have returned.
      this.checkRetained((await this.deps.events.bounds()).oldest, before);
      for (const event of page) {
        if (this.stopped) return;
        if (this.filter.matches(event)) await this.deliverPatiently(event);
        if (this.stopped) return;
        this.cursor = Math.max(this.cursor, event.seq);
      }
      if (page.length === REPLAY_PAGE) continue;
      if (this.overflowed) {
        // Live events were dropped while replaying; they are in Postgres: read on.
        this.overflowed = false;
        this.pending = [];
        continue;
      }
      // Caught up: nothing committed after our last query is missing from `pending`.
      const pending = this.pending;
      this.pending = [];
      this.mode = 'live';
      for (const fe of pending) {
        if (this.stopped) return;
        this.deliverLive(fe);
      }
      return;
    }
  }

  private async deliverPatiently(event: BerthEvent): Promise<void> {
    const data = this.encode(toFeedEvent(event));
    for (;;) {
      await this.ctx.sender.waitForRoom();
      if (this.stopped || !this.ctx.sender.open) return;
      if (this.ctx.sender.offer(data)) return;
    }
  }

  private readonly onLive = (fe: FeedEvent): void => {
    if (this.mode === 'live') return this.deliverLive(fe);
    if (this.stopped) return;
    this.pending.push(fe);
    if (this.pending.length > MAX_PENDING) {
      this.pending = [];
      this.overflowed = true;
    }
  };

  private deliverLive(fe: FeedEvent): void {
    const event = fe.event;
    if (event.seq <= this.cursor) return;
    if (!this.filter.matches(event)) {
      this.cursor = event.seq;
      return;
    }
    if (!this.ctx.sender.offer(this.encode(fe))) return this.drop();
    this.cursor = event.seq;
  }

  /** The socket cannot keep up: end here and tell the client where to resume. */
  private drop(): void {
    const since = this.cursor;
    this.stop();
    this.deps.metrics.eventResubscribes.inc();
    this.ctx.sender.send({ type: 'dropped', topic: this.topic, since, resubscribe: true });
    this.ctx.ended(this);
  }

  private encode(fe: FeedEvent): Buffer {
    return Buffer.from(this.prefix + fe.body.slice(1));
  }
}
