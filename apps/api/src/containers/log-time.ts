/**
 * Converts a `since`/`until` value (RFC 3339 with optional nanoseconds, or Unix seconds with an
 * optional fraction) to the engine's "seconds.nanoseconds" form without losing precision, so a
 * timestamp read from `timestamps=true` output can be passed back exactly.
 */
export function toEngineTime(value: string): string | undefined {
  if (/^\d{1,12}(\.\d{1,9})?$/.test(value)) return value;
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(value);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms) || ms < 0) return undefined;
  const seconds = Math.floor(ms / 1000);
  return m[2] ? `${seconds}.${m[2].padEnd(9, '0')}` : String(seconds);
}
