import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import type { AuditRow } from '../audit.repository';
import { AUDIT_MAX_PAGE } from '../audit.service';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);

export const AUDIT_RESULTS = ['ok', 'denied', 'error', 'aborted'] as const;

export class AuditQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Owner only: one team's rows (a team admin always sees only their own team; another team's id finds nothing)" })
  @IsOptional() @IsUUID()
  teamId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only acts of this token' })
  @IsOptional() @IsUUID()
  tokenId?: string;

  @ApiPropertyOptional({ example: 'POST /deployments', description: 'Only actions starting with this (e.g. "DELETE ", "POST /deployments/:name/scale", "WS exec.start")' })
  @IsOptional() @IsString() @MaxLength(200)
  action?: string;

  @ApiPropertyOptional({ example: 'web', description: 'Only this target (exactly: a deployment name, container id or name, registry id…)' })
  @IsOptional() @IsString() @MaxLength(512)
  target?: string;

  @ApiPropertyOptional({ enum: AUDIT_RESULTS })
  @IsOptional() @IsIn(AUDIT_RESULTS)
  result?: (typeof AUDIT_RESULTS)[number];

  @ApiPropertyOptional({ example: 403, minimum: 100, maximum: 599 })
  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(599)
  statusCode?: number;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z', description: 'Only rows at or after this time (ISO 8601)' })
  @IsOptional() @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-02T00:00:00Z', description: 'Only rows before this time (ISO 8601)' })
  @IsOptional() @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: AUDIT_MAX_PAGE, description: `Rows per page (max ${AUDIT_MAX_PAGE}); ignored by the NDJSON export, which returns every matching row` })
  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(AUDIT_MAX_PAGE)
  limit?: number;

  @ApiPropertyOptional({ description: "The previous page's nextCursor" })
  @IsOptional() @IsString() @Matches(/^[0-9]{1,19}$/, { message: 'cursor must be a nextCursor this API returned' })
  cursor?: string;

  @ApiPropertyOptional({ enum: ['json', 'ndjson'], description: 'ndjson: every matching row, one JSON object per line (same as Accept: application/x-ndjson)' })
  @IsOptional() @IsIn(['json', 'ndjson'])
  format?: 'json' | 'ndjson';
}

export class AuditEntryDto {
  @ApiProperty({ example: '42', description: 'Increasing; a string because it is a 64-bit integer' }) id: string;
  @ApiProperty({ example: '2026-12-01T11:00:00.000Z' }) at: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: 'The token that acted; null when none was valid (401)' }) tokenId: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid', description: "The acting token's team" }) teamId: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'POST', description: 'HTTP method, or WS for /ws messages' }) method: string | null;
  @ApiProperty({ example: 'POST /deployments/:name/scale', description: 'Method and route pattern; "WS exec.start" or "WS subscribe <topic pattern>" for /ws' }) action: string;
  @ApiProperty({ type: String, nullable: true, example: 'web', description: "The route's parameters (a deployment name, container id…); never a body" }) target: string | null;
  @ApiProperty({ enum: AUDIT_RESULTS, description: 'ok (< 400), denied (401, 403, 404, 413, 429), error (other 4xx/5xx), aborted (the client went away first)' }) result: string;
  @ApiProperty({ type: Number, nullable: true, example: 202, description: 'HTTP status (null for /ws messages and aborted requests)' }) statusCode: number | null;
  @ApiProperty({ type: String, nullable: true, description: 'X-Request-Id of the request; for /ws the socket id' }) requestId: string | null;
  @ApiProperty({ type: String, nullable: true, example: '127.0.0.1' }) sourceIp: string | null;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'params, query (secret-looking keys redacted), error code, Location, /ws ref/session' }) details?: Record<string, unknown>;

  static from(r: AuditRow): AuditEntryDto {
    return {
      id: String(r.id),
      at: r.at.toISOString(),
      tokenId: r.tokenId,
      teamId: r.teamId,
      method: r.method,
      action: r.action,
      target: r.target,
      result: r.result,
      statusCode: r.statusCode,
      requestId: r.requestId,
      sourceIp: r.sourceIp,
      ...(r.details && typeof r.details === 'object' ? { details: r.details as Record<string, unknown> } : {}),
    };
  }
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEntryDto], description: 'Newest first' }) items: AuditEntryDto[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next (older) page; null on the last page' }) nextCursor: string | null;
}
