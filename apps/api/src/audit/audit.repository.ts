import { Inject, Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import type { AuditEntry, Prisma } from '../generated/prisma/client';

export type AuditRow = AuditEntry;

/** What one audit row records (the database sets `id` and `at`). */
export interface AuditRecord {
  tokenId: string | null;
  teamId: string | null;
  method: string;
  action: string;
  target: string | null;
  result: string;
  statusCode: number | null;
  requestId: string | null;
  sourceIp: string | null;
  details?: Record<string, unknown>;
}

export interface AuditFilter {
  /** undefined: every team (owner). */
  teamId?: string;
  tokenId?: string;
  actionPrefix?: string;
  target?: string;
  result?: string;
  statusCode?: number;
  from?: Date;
  to?: Date;
  /** Only rows older than this id (newest-first paging). */
  beforeId?: bigint;
}

/** The append-only audit log (a trigger refuses UPDATE, DELETE and TRUNCATE): insert and read only. */
@Injectable()
export class AuditRepository {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  async insert(entry: AuditRecord): Promise<void> {
    await this.prisma.auditEntry.create({ data: { ...entry, details: entry.details as Prisma.InputJsonValue | undefined } });
  }

  /** Newest first, at most `limit` rows. */
  list(filter: AuditFilter, limit: number): Promise<AuditRow[]> {
    const where: Prisma.AuditEntryWhereInput = {
      ...(filter.teamId !== undefined ? { teamId: filter.teamId } : {}),
      ...(filter.tokenId ? { tokenId: filter.tokenId } : {}),
      ...(filter.actionPrefix ? { action: { startsWith: filter.actionPrefix } } : {}),
      ...(filter.target ? { target: filter.target } : {}),
      ...(filter.result ? { result: filter.result } : {}),
      ...(filter.statusCode !== undefined ? { statusCode: filter.statusCode } : {}),
      ...(filter.from || filter.to ? { at: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } } : {}),
      ...(filter.beforeId !== undefined ? { id: { lt: filter.beforeId } } : {}),
    };
    return this.prisma.auditEntry.findMany({ where, orderBy: { id: 'desc' }, take: limit });
  }
}
