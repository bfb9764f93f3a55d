import { ContainerFollower } from './container-follower';
import type { LogFanoutService } from './log-fanout.service';
import type { LogWriter } from './log-writer';

const live = (...ns: number[]) => ({ containerId: 'c', entries: ns.map(entry), memo: new Map<string, Buffer | null>() });
const entry = (n: number) => ({ stream: 'stdout' as const, line: `n-${n}`, timestamp: `2026-12-01T00:00:00.${String(n).padStart(9, '0')}Z` });

function setup(history: number[]) {
  const written: string[] = [];
  const fanout = { attach: async () => () => undefined, history: async () => history.map(entry) } as unknown as LogFanoutService;
  const writer = { write: (_: unknown, batch: { entries: Array<{ line: string }> }) => written.push(...batch.entries.map((e) => e.line)) } as unknown as LogWriter;
  const follower = new ContainerFollower(fanout, { id: 'c', tty: false }, {} as never, writer, { tail: 3 }, () => undefined);
  return { follower, written };
}

describe('ContainerFollower seam', () => {
  it('drops live lines the history already had, also when they arrive after history was sent', async () => {
    const { follower, written } = setup([1, 2, 3]);
    await follower.prepare();
    follower.onBatch(live(2)); // held while joining
    follower.begin();
    // The engine's history read was ahead of the shared live stream: 3 arrives live afterwards.
    follower.onBatch(live(3, 4));
    follower.onBatch(live(5));
    expect(written).toEqual(['n-1', 'n-2', 'n-3', 'n-4', 'n-5']);
  });

  it('passes everything live when there was no history', async () => {
    const { follower, written } = setup([]);
    await follower.prepare();
    follower.begin();
    follower.onBatch(live(1));
    expect(written).toEqual(['n-1']);
  });
});
