import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { PrismaService } from '../database/prisma.service';
import type { Prisma } from '../generated/prisma/client';
import type { OperationKind } from '../generated/prisma/enums';
import { assertOperationCapacity } from '../operations/operations.repository';

type Tx = Prisma.TransactionClient;
export type DeploymentRow = Prisma.DeploymentGetPayload<object>;
export type RevisionRow = Prisma.DeploymentRevisionGetPayload<object>;
export type OperationRow = Prisma.OperationGetPayload<object>;

/** What the service may do while it holds a deployment's row lock (one transaction). */
export class LockedDeployment {
  constructor(
    private readonly tx: Tx,
    readonly teamId: string,
    readonly name: string,
    readonly row: DeploymentRow | null,
    private readonly maxActiveOperations: number,
  ) {}

  latestRevision(): Promise<RevisionRow | null> {
    if (!this.row) return Promise.resolve(null);
    return this.tx.deploymentRevision.findFirst({ where: { deploymentId: this.row.id }, orderBy: { number: 'desc' } });
  }

  revision(number: number): Promise<RevisionRow | null> {
    if (!this.row) return Promise.resolve(null);
    return this.tx.deploymentRevision.findUnique({ where: { deploymentId_number: { deploymentId: this.row.id, number } } });
  }

  create(data: { desiredReplicas: number }): Promise<DeploymentRow> {
    return this.tx.deployment.create({ data: { teamId: this.teamId, name: this.name, desiredReplicas: data.desiredReplicas } });
  }

  update(id: string, data: Prisma.DeploymentUpdateInput): Promise<DeploymentRow> {
    return this.tx.deployment.update({ where: { id }, data });
  }

  addRevision(data: { deploymentId: string; number: number; spec: unknown; specHash: string; authorTokenId?: string; changeCause?: string | null }): Promise<RevisionRow> {
    return this.tx.deploymentRevision.create({ data: { ...data, spec: data.spec as Prisma.InputJsonValue } });
  }

  findIdempotent(key: string): Promise<OperationRow | null> {
    return this.tx.operation.findUnique({ where: { teamId_idempotencyKey: { teamId: this.teamId, idempotencyKey: key } } });
  }

  /** Cancels queued, not-yet-started operations of these kinds: a newer request supersedes them. */
  async supersedePending(deploymentId: string, kinds: OperationKind[], by: string): Promise<number> {
    const pending = await this.tx.operation.findMany({ where: { deploymentId, status: 'pending', kind: { in: kinds } }, select: { id: true } });
    for (const op of pending) {
      await this.tx.operation.update({ where: { id: op.id }, data: { status: 'cancelled', finishedAt: new Date(), error: `Superseded by a newer request (${by})` } });
      await this.tx.operationStep.create({ data: { operationId: op.id, level: 'warn', message: `Superseded before it started by a newer request` } });
    }
    return pending.length;
  }

  /**
   * Queues an operation — refused with 429 RATE_LIMITED (rolling back the whole transaction) when the
   * team is at BERTH_MAX_ACTIVE_OPERATIONS_PER_TEAM; operations superseded just before do not count.
   */
  async enqueue(data: { deploymentId: string; kind: OperationKind; params: unknown; createdBy?: string; idempotencyKey?: string }): Promise<OperationRow> {
    await assertOperationCapacity(this.tx, this.teamId, this.maxActiveOperations);
    return this.tx.operation.create({ data: { ...data, teamId: this.teamId, params: data.params as Prisma.InputJsonValue, status: 'pending' } });
  }
}

@Injectable()
export class DeploymentsRepository {
  constructor(
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  /** Runs `fn` holding the deployment's row lock (or, for a new name, a lock on team+name). */
  async withLock<T>(teamId: string, name: string, fn: (d: LockedDeployment) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(
      async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${teamId}), hashtext(${name}))`;
        const row = await tx.deployment.findUnique({ where: { teamId_name: { teamId, name } } });
        return fn(new LockedDeployment(tx, teamId, name, row, this.config.limits.maxActiveOperationsPerTeam));
      },
      { timeout: 30_000, maxWait: 30_000 },
    );
  }

  find(teamId: string, name: string): Promise<DeploymentRow | null> {
    return this.prisma.deployment.findUnique({ where: { teamId_name: { teamId, name } } });
  }

  findById(id: string): Promise<DeploymentRow | null> {
    return this.prisma.deployment.findUnique({ where: { id } });
  }

  list(filter: { teamId?: string; nameContains?: string; includeDeleted: boolean; limit: number; offset: number }) {
    const where: Prisma.DeploymentWhereInput = {
      ...(filter.teamId ? { teamId: filter.teamId } : {}),
      ...(filter.nameContains ? { name: { contains: filter.nameContains } } : {}),
      ...(filter.includeDeleted ? {} : { deletedAt: null }),
    };
    return this.prisma.$transaction([
      this.prisma.deployment.findMany({ where, orderBy: { name: 'asc' }, take: filter.limit, skip: filter.offset }),
      this.prisma.deployment.count({ where }),
    ]);
  }

  async teamIds(): Promise<Set<string>> {
    return new Set((await this.prisma.team.findMany({ select: { id: true } })).map((t) => t.id));
  }

  /** Every live deployment, for the reconciler's resync. */
  listActive(): Promise<DeploymentRow[]> {
    return this.prisma.deployment.findMany({ where: { deletedAt: null } });
  }

  revisions(deploymentId: string): Promise<RevisionRow[]> {
    return this.prisma.deploymentRevision.findMany({ where: { deploymentId }, orderBy: { number: 'asc' } });
  }

  revision(deploymentId: string, number: number): Promise<RevisionRow | null> {
    return this.prisma.deploymentRevision.findUnique({ where: { deploymentId_number: { deploymentId, number } } });
  }

  /** The named revision of each deployment, in one query (a list page), keyed by deployment id. */
  async revisionsFor(wanted: { deploymentId: string; number: number }[]): Promise<Map<string, RevisionRow>> {
    if (!wanted.length) return new Map();
    const rows = await this.prisma.deploymentRevision.findMany({ where: { OR: wanted.map(({ deploymentId, number }) => ({ deploymentId, number })) } });
    return new Map(rows.map((r) => [r.deploymentId, r]));
  }

  setRevisionDigest(id: string, imageDigest: string) {
    return this.prisma.deploymentRevision.update({ where: { id }, data: { imageDigest } });
  }

  update(id: string, data: Prisma.DeploymentUpdateInput): Promise<DeploymentRow> {
    return this.prisma.deployment.update({ where: { id }, data });
  }

  purge(id: string) {
    return this.prisma.deployment.delete({ where: { id } });
  }

  operations(deploymentId: string, limit: number) {
    return this.prisma.operation.findMany({ where: { deploymentId }, orderBy: { createdAt: 'desc' }, take: limit, include: { steps: { orderBy: { id: 'asc' } } } });
  }

  /**
   * Claims the next queued operation of a deployment — oldest first — unless one is already
   * running. Returns null when there is nothing to do.
   */
  async claimNext(deploymentId: string): Promise<OperationRow | null> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('berth-op-queue'), hashtext(${deploymentId}))`;
      if (await tx.operation.findFirst({ where: { deploymentId, status: 'running' }, select: { id: true } })) return null;
      const next = await tx.operation.findFirst({ where: { deploymentId, status: 'pending' }, orderBy: { createdAt: 'asc' } });
      if (!next) return null;
      return tx.operation.update({ where: { id: next.id }, data: { status: 'running', startedAt: new Date() } });
    });
  }

  /** Operations a killed process left running: they go back to the queue's head to be resumed. */
  async requeueInterrupted(): Promise<OperationRow[]> {
    const running = await this.prisma.operation.findMany({ where: { status: 'running', deploymentId: { not: null } } });
    for (const op of running) await this.prisma.operation.update({ where: { id: op.id }, data: { status: 'pending' } });
    return running;
  }

  deploymentsWithQueuedOperations(): Promise<{ deploymentId: string | null }[]> {
    return this.prisma.operation.findMany({ where: { status: 'pending', deploymentId: { not: null } }, select: { deploymentId: true }, distinct: ['deploymentId'] });
  }

  hasActiveOperation(deploymentId: string): Promise<boolean> {
    return this.prisma.operation.count({ where: { deploymentId, status: { in: ['pending', 'running'] } } }).then((n) => n > 0);
  }

  isCancelRequested(operationId: string): Promise<boolean> {
    return this.prisma.operation.findUnique({ where: { id: operationId }, select: { cancelRequested: true } }).then((o) => Boolean(o?.cancelRequested));
  }
}
