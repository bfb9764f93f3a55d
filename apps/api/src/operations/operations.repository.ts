import { Inject, Injectable } from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import { PrismaService } from '../database/prisma.service';
import type { Prisma } from '../generated/prisma/client';
import type { OperationKind, OperationStatus } from '../generated/prisma/enums';

const withSteps = { steps: { orderBy: { id: 'asc' } } } as const;
export type OperationWithSteps = Prisma.OperationGetPayload<{ include: typeof withSteps }>;

/**
 * The per-team cap on pending + running operations (BERTH_MAX_ACTIVE_OPERATIONS_PER_TEAM). Call it
 * inside the transaction that creates the operation: it takes a team-wide transaction lock, so
 * concurrent requests cannot overshoot, and throws 429 RATE_LIMITED — rolling the transaction back,
 * so the refused request changes nothing.
 */
export async function assertOperationCapacity(tx: Prisma.TransactionClient, teamId: string, max: number): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('berth-team-operations'), hashtext(${teamId}))`;
  const active = await tx.operation.count({ where: { teamId, status: { in: ['pending', 'running'] } } });
  if (active >= max) {
    throw new DomainError(
      'RATE_LIMITED',
      `The team already has ${active} pending or running operations, the most it may have at once (BERTH_MAX_ACTIVE_OPERATIONS_PER_TEAM=${max}); wait for some to finish`,
      [{ field: 'operations', rule: `max:${max}`, message: `at most ${max} pending or running operations per team` }],
    );
  }
}

@Injectable()
export class OperationsRepository {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  /** Creates an operation unless the team is at `maxActive` pending + running ones (then 429, nothing created). */
  create(data: { teamId: string; kind: OperationKind; params: unknown; createdBy?: string; deploymentId?: string; idempotencyKey?: string; status?: OperationStatus }, maxActive: number) {
    return this.prisma.$transaction(async (tx) => {
      await assertOperationCapacity(tx, data.teamId, maxActive);
      return tx.operation.create({
        data: { ...data, params: data.params as Prisma.InputJsonValue, ...(data.status === 'running' ? { startedAt: new Date() } : {}) },
      });
    });
  }

  addStep(operationId: string, message: string, level: string, data?: unknown) {
    return this.prisma.operationStep.create({ data: { operationId, message, level, data: data as Prisma.InputJsonValue | undefined } });
  }

  markRunning(id: string) {
    return this.prisma.operation.update({ where: { id }, data: { status: 'running', startedAt: new Date() } });
  }

  finish(id: string, status: Extract<OperationStatus, 'succeeded' | 'failed' | 'cancelled'>, result?: unknown, error?: string) {
    return this.prisma.operation.update({
      where: { id },
      data: { status, finishedAt: new Date(), result: result as Prisma.InputJsonValue | undefined, error: error ?? null },
    });
  }

  requestCancel(id: string) {
    return this.prisma.operation.update({ where: { id }, data: { cancelRequested: true } });
  }

  /** Scoped lookup: `teamId` undefined means any team (owner). */
  findWithSteps(id: string, teamId?: string): Promise<OperationWithSteps | null> {
    return this.prisma.operation.findFirst({ where: { id, ...(teamId ? { teamId } : {}) }, include: withSteps });
  }

  async deploymentName(deploymentId: string): Promise<string | undefined> {
    return (await this.prisma.deployment.findUnique({ where: { id: deploymentId }, select: { name: true } }))?.name;
  }

  findUnfinished() {
    return this.prisma.operation.findMany({ where: { status: { in: ['pending', 'running'] } } });
  }
}
