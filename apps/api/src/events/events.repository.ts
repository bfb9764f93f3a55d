import { Inject, Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import type { Prisma } from '../generated/prisma/client';
import type { BerthEvent, EventKind, EventMap } from './event-map';

/** Serialises appends so sequence numbers become visible in commit order: a reader that saw N never misses N-1 later. */
const APPEND_LOCK_ID = 4_242_002;

type Row = { seq: bigint; teamId: string | null; kind: string; subject: string | null; payload: Prisma.JsonValue; createdAt: Date };

const toEvent = (r: Row): BerthEvent => ({ ...r, seq: Number(r.seq), kind: r.kind as EventKind, payload: r.payload as never });

@Injectable()
export class EventsRepository {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  async append<K extends EventKind>(teamId: string | null, kind: K, payload: EventMap[K], subject?: string): Promise<BerthEvent<K>> {
    const row = await this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${APPEND_LOCK_ID})`;
      return tx.event.create({ data: { teamId, kind, subject: subject ?? null, payload: payload as Prisma.InputJsonValue } });
    });
    return toEvent(row) as BerthEvent<K>;
  }

  /** Events after `afterSeq`, oldest first; `teamId` undefined means every team (owner). */
  async list(filter: { afterSeq: number; teamId?: string; kinds?: string[]; subject?: string; limit: number }): Promise<BerthEvent[]> {
    const rows = await this.prisma.event.findMany({
      where: {
        seq: { gt: BigInt(filter.afterSeq) },
        ...(filter.teamId !== undefined ? { teamId: filter.teamId } : {}),
        ...(filter.kinds?.length ? { kind: { in: filter.kinds } } : {}),
        ...(filter.subject ? { subject: filter.subject } : {}),
      },
      orderBy: { seq: 'asc' },
      take: filter.limit,
    });
    return rows.map(toEvent);
  }

  /** The oldest and newest sequence numbers in the log (0 when it is empty). */
  async bounds(): Promise<{ oldest: number; latest: number }> {
    const agg = await this.prisma.event.aggregate({ _min: { seq: true }, _max: { seq: true } });
    return { oldest: Number(agg._min.seq ?? 0), latest: Number(agg._max.seq ?? 0) };
  }

  /**
   * Deletes events created before `cutoff`, except the newest event of the whole log, so the log
   * always knows where it stands (the oldest available sequence) even after a quiet spell.
   */
  async pruneBefore(cutoff: Date): Promise<number> {
    const { latest } = await this.bounds();
    if (!latest) return 0;
    const { count } = await this.prisma.event.deleteMany({ where: { createdAt: { lt: cutoff }, seq: { lt: BigInt(latest) } } });
    return count;
  }
}
