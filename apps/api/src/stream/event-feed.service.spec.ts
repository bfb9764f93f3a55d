import { EventEmitter } from 'node:events';
import type { BerthEvent } from '../events/event-map';
import type { EventsService } from '../events/events.service';
import { EventFeed } from './event-feed.service';

const ev = (seq: number): BerthEvent => ({ seq, teamId: null, kind: 'operation.step', subject: null, payload: { operationId: 'o', message: String(seq), level: 'info' }, createdAt: new Date(0) });

/** A fake event log: `committed` is what the database holds; `live` is the in-process emitter. */
function fakeEvents(committed: BerthEvent[]) {
  const live = new EventEmitter();
  const service = {
    live,
    bounds: async () => ({ oldest: committed[0]?.seq ?? 0, latest: committed.at(-1)?.seq ?? 0 }),
    list: async ({ afterSeq, limit }: { afterSeq: number; limit: number }) => committed.filter((e) => e.seq > afterSeq).slice(0, limit),
  };
  return service as unknown as EventsService & { live: EventEmitter };
}

describe('EventFeed', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('delivers live events in sequence order even when they are emitted out of order', async () => {
    const events = fakeEvents([ev(1), ev(2)]);
    const feed = new EventFeed(events);
    await feed.onModuleInit();
    const got: number[] = [];
    feed.subscribe((e) => got.push(e.event.seq));
    events.live.emit('event', ev(4));
    events.live.emit('event', ev(3));
    events.live.emit('event', ev(3)); // a repeat is ignored
    events.live.emit('event', ev(5));
    expect(got).toEqual([3, 4, 5]);
    expect(feed.head).toBe(5);
    feed.onModuleDestroy();
  });

  it('fills a hole from the log, or skips a sequence number the log does not have', async () => {
    const committed = [ev(1)];
    const events = fakeEvents(committed);
    const feed = new EventFeed(events);
    await feed.onModuleInit();
    const got: number[] = [];
    feed.subscribe((e) => got.push(e.event.seq));
    // 2 was written by someone else (not emitted here); 3 was burnt by a rolled-back insert.
    committed.push(ev(2), ev(4));
    events.live.emit('event', ev(4));
    expect(got).toEqual([]);
    await jest.advanceTimersByTimeAsync(300);
    expect(got).toEqual([2, 4]);
    events.live.emit('event', ev(5));
    expect(got).toEqual([2, 4, 5]);
    feed.onModuleDestroy();
  });
});
