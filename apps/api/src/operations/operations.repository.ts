import { Inject, Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import type { Prisma } from '../generated/prisma/client';
import type { OperationKind, OperationStatus } from '../generated/prisma/enums';

const withSteps = { steps: { orderBy: { id: 'asc' } } } as const;
export type OperationWithSteps = Prisma.OperationGetPayload<{ include: typeof withSteps }>;

@Injectable()
export class OperationsRepository {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  create(data: { teamId: string; kind: OperationKind; params: unknown; createdBy?: string; deploymentId?: string; idempotencyKey?: string; status?: OperationStatus }) {
    return this.prisma.operation.create({
      data: { ...data, params: data.params as Prisma.InputJsonValue, ...(data.status === 'running' ? { startedAt: new Date() } : {}) },
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

  findUnfinished() {
    return this.prisma.operation.findMany({ where: { status: { in: ['pending', 'running'] } } });
  }
}
