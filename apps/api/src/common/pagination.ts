import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { Response } from 'express';

/** The most items one list response carries (GET /containers, /images, /registries); more answers 400 naming `limit`. */
export const MAX_LIST_LIMIT = 1000;
/** The largest `offset` a list accepts. */
export const MAX_LIST_OFFSET = 1_000_000;

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);

/**
 * `limit`/`offset` for lists the engine answers in full (containers, images, registries): the
 * response stays a JSON array, at most MAX_LIST_LIMIT long, and `X-Total-Count` says how many
 * matched in all.
 */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_LIST_LIMIT, default: MAX_LIST_LIMIT, description: `At most this many items (max ${MAX_LIST_LIMIT}); X-Total-Count has the total` })
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(MAX_LIST_LIMIT)
  limit?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: MAX_LIST_OFFSET, default: 0, description: 'Skip this many items first' })
  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(MAX_LIST_OFFSET)
  offset?: number;
}

/** One page of a complete list; sets X-Total-Count when a response is given. */
export function paginate<T>(items: T[], query: { limit?: number; offset?: number }, res?: Pick<Response, 'setHeader'>): T[] {
  res?.setHeader('X-Total-Count', String(items.length));
  const offset = query.offset ?? 0;
  return items.slice(offset, offset + (query.limit ?? MAX_LIST_LIMIT));
}
