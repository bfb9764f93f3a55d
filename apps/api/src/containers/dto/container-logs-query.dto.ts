import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ToBoolean, ToInt } from './validators';

/** RFC 3339 / ISO 8601 (with zone) or Unix seconds with an optional fraction. */
export const LOG_TIME = /^(\d{1,12}(\.\d{1,9})?|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))$/;

export class ContainerLogsQueryDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 100_000, description: 'Only the last N lines of the log, counted before stdout/stderr selection (default, or "all": every line)' })
  @IsOptional() @Transform(({ value }) => (value === 'all' ? undefined : value)) @ToInt() @IsInt() @Min(0) @Max(100_000)
  tail?: number;

  @ApiPropertyOptional({ example: '2026-11-27T13:00:00Z', description: 'Only lines at or after this time (RFC 3339 or Unix seconds)' })
  @IsOptional() @IsString() @Matches(LOG_TIME, { message: 'since must be an RFC 3339 timestamp or Unix seconds' })
  since?: string;

  @ApiPropertyOptional({ example: '2026-11-27T14:00:00Z', description: 'Only lines before this time (RFC 3339 or Unix seconds)' })
  @IsOptional() @IsString() @Matches(LOG_TIME, { message: 'until must be an RFC 3339 timestamp or Unix seconds' })
  until?: string;

  @ApiPropertyOptional({ default: false, description: "Prefix each line with the engine's RFC 3339 nanosecond timestamp" })
  @IsOptional() @ToBoolean() @IsBoolean()
  timestamps?: boolean;

  @ApiPropertyOptional({ default: true })
  @IsOptional() @ToBoolean() @IsBoolean()
  stdout?: boolean;

  @ApiPropertyOptional({ default: true })
  @IsOptional() @ToBoolean() @IsBoolean()
  stderr?: boolean;

  @ApiPropertyOptional({
    default: false,
    description: 'Keep streaming new lines until the container stops or the client leaves: text/event-stream (Accept: text/event-stream), application/x-ndjson, or text/plain chunked (default)',
  })
  @IsOptional() @ToBoolean() @IsBoolean()
  follow?: boolean;
}
