import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { isOwner } from '../auth/permissions';
import { DomainError } from '../common/domain-error';
import { MetricsService } from '../metrics/metrics.service';
import { AuditFilter, AuditRecord, AuditRepository, AuditRow } from './audit.repository';

/** The largest page GET /audit returns; NDJSON export reads the database in pages of this size. */
export const AUDIT_MAX_PAGE = 500;

export type AuditQuery = Omit<AuditFilter, 'beforeId'> & { cursor?: string };

/** How a status code reads in the audit log. */
export function auditResult(statusCode: number | null, aborted = false): 'ok' | 'denied' | 'error' | 'aborted' {
  if (aborted) return 'aborted';
  if (statusCode === null) return 'ok';
  if (statusCode < 400) return 'ok';
  if ([401, 403, 404, 413, 429].includes(statusCode)) return 'denied';
  return 'error';
}

/**
 * The audit log: who (token, team) did what (action), to what (target), with which result, when,
 * from where, under which request id. Written after the fact and never in the request's way: a
 * failed write is logged as an error (with the whole entry) and counted in
 * berth_audit_write_failures_total, and the response is unaffected.
 */
@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');
  private readonly pending = new Set<Promise<void>>();

  constructor(
    @Inject(AuditRepository) private readonly repo: AuditRepository,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {}

  /** Records one entry. Never throws; resolves once the row is written (or the failure logged). */
  record(entry: AuditRecord): Promise<void> {
    const write = this.repo.insert(entry).catch((err: unknown) => {
      this.metrics.auditWriteFailures.inc();
      this.logger.error({ err, audit: entry }, `AUDIT WRITE FAILED: ${entry.action} by token ${entry.tokenId ?? '(none)'} (${entry.result}) was not recorded: ${(err as Error)?.message ?? err}`);
    });
    const tracked = write.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
    return tracked;
  }

  /** Waits for writes in flight (shutdown, and tests that read right after a response). */
  async flush(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /** One page, newest first; `nextCursor` continues after its last row. Team admins see their own team, the owner every team. */
  async list(principal: Principal, query: AuditQuery, limit: number): Promise<{ items: AuditRow[]; nextCursor: string | null }> {
    const filter = this.scope(principal, query);
    if (!filter) return { items: [], nextCursor: null };
    const items = await this.repo.list(filter, limit);
    return { items, nextCursor: items.length === limit ? String(items[items.length - 1].id) : null };
  }

  /** Every matching row, newest first, read from the database a page at a time. */
  async *export(principal: Principal, query: AuditQuery): AsyncGenerator<AuditRow> {
    const filter = this.scope(principal, query);
    if (!filter) return;
    for (;;) {
      const page = await this.repo.list(filter, AUDIT_MAX_PAGE);
      yield* page;
      if (page.length < AUDIT_MAX_PAGE) return;
      filter.beforeId = page[page.length - 1].id;
    }
  }

  /** The filter within what the principal may see; null when that is nothing (another team's id from a non-owner). */
  private scope(principal: Principal, query: AuditQuery): AuditFilter | null {
    const { cursor, ...rest } = query;
    let beforeId: bigint | undefined;
    if (cursor !== undefined) {
      if (!/^[1-9][0-9]{0,18}$/.test(cursor)) throw new DomainError('VALIDATION_FAILED', 'cursor is not a cursor this API returned', [{ field: 'cursor', rule: 'cursor', message: 'use nextCursor of the previous page' }]);
      beforeId = BigInt(cursor);
    }
    if (!isOwner(principal)) {
      if (rest.teamId !== undefined && rest.teamId !== principal.teamId) return null;
      return { ...rest, teamId: principal.teamId, beforeId };
    }
    return { ...rest, beforeId };
  }
}
