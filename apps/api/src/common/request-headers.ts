import { DomainError } from './domain-error';

/** If-Match: `"3"`, `W/"3"` or `3` → 3. Absent → undefined. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header === '') return undefined;
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header);
  if (!m) throw new DomainError('VALIDATION_FAILED', 'Validation failed: If-Match must be a deployment version such as "3"', [{ field: 'If-Match', rule: 'version', message: 'If-Match must be a version number, optionally quoted' }]);
  return Number(m[1]);
}

/** Idempotency-Key: 1–255 visible characters. */
export function parseIdempotencyKey(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  if (!/^[\x21-\x7e]{1,255}$/.test(header)) {
    throw new DomainError('VALIDATION_FAILED', 'Validation failed: Idempotency-Key must be 1-255 visible ASCII characters', [{ field: 'Idempotency-Key', rule: 'format', message: 'Idempotency-Key must be 1-255 visible ASCII characters' }]);
  }
  return header;
}
