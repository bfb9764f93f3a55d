import { Controller, Get, Headers, Inject, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { Readable } from 'node:stream';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Requires } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { AuditQuery, AuditService } from './audit.service';
import { AuditEntryDto, AuditPageDto, AuditQueryDto } from './dto/audit.dto';

const NDJSON = 'application/x-ndjson';

function toQuery(q: AuditQueryDto): AuditQuery {
  return {
    teamId: q.teamId,
    tokenId: q.tokenId,
    actionPrefix: q.action,
    target: q.target,
    result: q.result,
    statusCode: q.statusCode,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
    cursor: q.cursor,
  };
}

@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(@Inject(AuditService) private readonly audit: AuditService) {}

  @Get()
  @Requires('admin')
  @ApiOperation({
    summary: 'The audit log: mutating requests and /ws exec and log subscriptions, newest first',
    description:
      "Team admins see their own team's rows, the owner every team's (`teamId` narrows). Paged with `limit` (max 500) and `cursor` (the previous page's `nextCursor`). " +
      'With `Accept: application/x-ndjson` or `format=ndjson`, every matching row is streamed, one JSON object per line.',
  })
  @ApiProduces('application/json', NDJSON)
  @ApiOkResponse({ type: AuditPageDto, description: 'A page; as NDJSON, one AuditEntry per line' })
  async list(@CurrentPrincipal() principal: Principal, @Query() q: AuditQueryDto, @Headers('accept') accept: string | undefined, @Res({ passthrough: true }) res: Response): Promise<AuditPageDto | StreamableFile> {
    const query = toQuery(q);
    const ndjson = q.format === 'ndjson' || (q.format === undefined && (accept ?? '').toLowerCase().includes(NDJSON));
    if (!ndjson) {
      const page = await this.audit.list(principal, query, q.limit ?? 100);
      return { items: page.items.map((r) => AuditEntryDto.from(r)), nextCursor: page.nextCursor };
    }
    // Read the first page before answering, so a bad request still gets a proper error status.
    const rows = this.audit.export(principal, query);
    const first = await rows.next();
    async function* lines(): AsyncGenerator<string> {
      for (let r = first; !r.done; r = await rows.next()) yield JSON.stringify(AuditEntryDto.from(r.value)) + '\n';
    }
    res.setHeader('Cache-Control', 'no-store');
    return new StreamableFile(Readable.from(lines()), { type: `${NDJSON}; charset=utf-8` });
  }
}
