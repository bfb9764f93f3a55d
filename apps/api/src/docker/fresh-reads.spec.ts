import { FreshReads } from './fresh-reads';

/** Engine reads the test finishes by hand; `calls` holds every read the engine was asked for, each answering the next version. */
function engine() {
  const calls: Array<{ resolve: (v: number) => void; reject: (e: Error) => void }> = [];
  let version = 0;
  return {
    calls,
    read: () => new Promise<number>((resolve, reject) => calls.push({ resolve: () => resolve(++version), reject })),
    finish: (i: number) => calls[i].resolve(0),
    fail: (i: number, message: string) => calls[i].reject(new Error(message)),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('FreshReads', () => {
  it('starts a lone read at once and forgets it when it is done', async () => {
    const reads = new FreshReads();
    const e = engine();
    const a = reads.run('list', e.read);
    expect(e.calls).toHaveLength(1);
    e.finish(0);
    await expect(a).resolves.toBe(1);
    await tick();
    expect(reads.pending('list')).toBe(0);
    const b = reads.run('list', e.read);
    expect(e.calls).toHaveLength(2);
    e.finish(1);
    await expect(b).resolves.toBe(2);
  });

  it('never answers a caller with a read that started before it: callers during a read share the next one', async () => {
    const reads = new FreshReads();
    const e = engine();
    const first = reads.run('list', e.read);
    // Three callers arrive while the first read runs.
    const later = [reads.run('list', e.read), reads.run('list', e.read), reads.run('list', e.read)];
    expect(e.calls).toHaveLength(1);
    e.finish(0);
    await expect(first).resolves.toBe(1);
    await tick();
    // Only now, after the first read finished, does their one shared read start.
    expect(e.calls).toHaveLength(2);
    // A caller arriving during that second read waits for a third.
    const latest = reads.run('list', e.read);
    e.finish(1);
    await expect(Promise.all(later)).resolves.toEqual([2, 2, 2]);
    await tick();
    expect(e.calls).toHaveLength(3);
    e.finish(2);
    await expect(latest).resolves.toBe(3);
  });

  it('gives every caller of a failed read its error, and the next caller a new read', async () => {
    const reads = new FreshReads();
    const e = engine();
    const first = reads.run('list', e.read);
    const joined = [reads.run('list', e.read), reads.run('list', e.read)];
    e.fail(0, 'engine down');
    await expect(first).rejects.toThrow('engine down');
    await tick();
    e.fail(1, 'still down');
    for (const j of joined) await expect(j).rejects.toThrow('still down');
    await tick();
    const again = reads.run('list', e.read);
    expect(e.calls).toHaveLength(3);
    e.finish(2);
    await expect(again).resolves.toBe(1);
  });

  it('keeps different keys apart', async () => {
    const reads = new FreshReads();
    const e = engine();
    const teamA = reads.run('list team=a', e.read);
    const teamB = reads.run('list team=b', e.read);
    expect(e.calls).toHaveLength(2);
    e.finish(1);
    e.finish(0);
    await expect(teamB).resolves.toBe(1);
    await expect(teamA).resolves.toBe(2);
  });

  it('turns a read that throws synchronously into a rejection', async () => {
    const reads = new FreshReads();
    await expect(
      reads.run('list', () => {
        throw new Error('bad options');
      }),
    ).rejects.toThrow('bad options');
    await tick();
    expect(reads.pending('list')).toBe(0);
  });
});
