import { sinceParam, timestampNs } from './engine-logs';
import { splitBatches } from './log-fanout.service';

describe('engine log helpers', () => {
  it('reads engine timestamps to the nanosecond, whatever the number of digits', () => {
    expect(timestampNs('2024-01-01T00:00:01.123456789Z')).toBe(1704067201123456789n);
    expect(timestampNs('2024-01-01T00:00:01.5Z')).toBe(1704067201500000000n);
    expect(timestampNs('2024-01-01T00:00:01Z')).toBe(1704067201000000000n);
    expect(timestampNs('2024-01-01T01:00:01.000000001+01:00')).toBe(1704067201000000001n);
    expect(timestampNs(undefined)).toBe(0n);
    expect(timestampNs('garbage')).toBe(0n);
  });

  it('writes the engine since parameter with nine decimals', () => {
    expect(sinceParam(1704067201000000001n)).toBe('1704067201.000000001');
    expect(sinceParam(1704067201500000000n)).toBe('1704067201.500000000');
  });

  it('splits log batches by text size and line count, keeping order', () => {
    const line = (n: number, size = 10) => ({ stream: 'stdout' as const, line: String(n).padEnd(size, '.') });
    expect(splitBatches([])).toEqual([]);
    const many = Array.from({ length: 2500 }, (_, i) => line(i));
    const parts = splitBatches(many);
    expect(parts.map((p) => p.length)).toEqual([1000, 1000, 500]);
    expect(parts.flat()).toEqual(many);
    const big = Array.from({ length: 10 }, (_, i) => line(i, 10_000));
    expect(splitBatches(big).map((p) => p.length)).toEqual([3, 3, 3, 1]);
  });
});
