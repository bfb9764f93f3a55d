import type Docker from 'dockerode';

export interface EngineLogQuery {
  follow: boolean;
  /** Lines from the end; 0 = none (live only). */
  tail?: number;
  /** Seconds since the epoch, with up to nine decimals. */
  since?: string;
  /** Which streams (default both). */
  stream?: 'stdout' | 'stderr' | 'all';
}

/**
 * A container's log output as a stream, always with timestamps. dockerode buffers
 * (and may JSON-parse) non-follow log responses, so this dials the engine with a stream either way.
 */
export function openEngineLogs(d: Docker, containerId: string, q: EngineLogQuery): Promise<NodeJS.ReadableStream & { destroy(): void }> {
  const stream = q.stream ?? 'all';
  const options: Record<string, unknown> = { stdout: stream !== 'stderr', stderr: stream !== 'stdout', timestamps: true, follow: q.follow };
  if (q.tail !== undefined) options.tail = q.tail;
  if (q.since !== undefined) options.since = q.since;
  return new Promise((resolve, reject) => {
    d.modem.dial(
      {
        path: `/containers/${encodeURIComponent(containerId)}/logs?`,
        method: 'GET',
        options,
        isStream: true,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
      },
      (err, stream) => (err ? reject(err) : resolve(stream as NodeJS.ReadableStream & { destroy(): void })),
    );
  });
}

/** Nanoseconds since the epoch of an engine RFC 3339 timestamp ("2026-01-02T03:04:05.123456789Z"); 0 if unreadable. */
export function timestampNs(ts: string | undefined): bigint {
  if (!ts) return 0n;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(ts);
  if (!m) return 0n;
  const ms = Date.parse(m[1] + m[3]);
  if (Number.isNaN(ms)) return 0n;
  const fraction = (m[2] ?? '').padEnd(9, '0').slice(0, 9);
  return BigInt(ms / 1000) * 1_000_000_000n + BigInt(fraction);
}

/** The engine's `since` form: seconds with a nine-digit fraction. */
export function sinceParam(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
}
