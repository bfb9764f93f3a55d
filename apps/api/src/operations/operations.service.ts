import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { EventsService } from '../events/events.service';
import type { OperationKind } from '../generated/prisma/enums';
import { OperationsRepository, OperationWithSteps } from './operations.repository';

export interface OperationHandle {
  id: string;
  teamId: string;
  kind: OperationKind;
  step(message: string, data?: unknown, level?: 'info' | 'warn' | 'error'): Promise<void>;
  succeed(result?: unknown): Promise<void>;
  fail(error: string): Promise<void>;
  cancelled(): Promise<void>;
}

/**
 * Durable operations: each is persisted (with its step log) before and while it acts, and each
 * change is published as an event. Long-running work (pull, build, rollout…) runs under one.
 */
@Injectable()
export class OperationsService {
  constructor(
    @Inject(OperationsRepository) private readonly repo: OperationsRepository,
    @Inject(EventsService) private readonly events: EventsService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  /**
   * Creates a running operation and returns a handle to log steps and finish it. Refused with 429
   * RATE_LIMITED when the team is at BERTH_MAX_ACTIVE_OPERATIONS_PER_TEAM pending + running ones.
   */
  async start(principal: Principal, kind: OperationKind, params: unknown, extra: { deploymentId?: string; subject?: string } = {}): Promise<OperationHandle> {
    const op = await this.repo.create(
      { teamId: principal.teamId, kind, params, createdBy: principal.tokenId, deploymentId: extra.deploymentId, status: 'running' },
      this.config.limits.maxActiveOperationsPerTeam,
    );
    return this.attach(op, extra.subject);
  }

  /** A handle for an operation that is now running (e.g. claimed from a deployment's queue); publishes its start. */
  async attach(op: { id: string; teamId: string; kind: OperationKind }, subjectOrUndefined?: string, deployment?: string): Promise<OperationHandle> {
    const kind = op.kind;
    const subject = subjectOrUndefined ?? `operations/${op.id}`;
    await this.events.publish(op.teamId, 'operation.started', { operationId: op.id, kind, ...(deployment ? { deployment } : {}) }, subject);
    return {
      id: op.id,
      teamId: op.teamId,
      kind,
      step: async (message, data, level = 'info') => {
        await this.repo.addStep(op.id, message, level, data);
        await this.events.publish(op.teamId, 'operation.step', { operationId: op.id, message, level, data }, subject);
      },
      succeed: async (result) => {
        await this.repo.finish(op.id, 'succeeded', result);
        await this.events.publish(op.teamId, 'operation.succeeded', { operationId: op.id, kind, result }, subject);
      },
      fail: async (error) => {
        await this.repo.finish(op.id, 'failed', undefined, error);
        await this.events.publish(op.teamId, 'operation.failed', { operationId: op.id, kind, error }, subject);
      },
      cancelled: async () => {
        await this.repo.finish(op.id, 'cancelled', undefined, 'Cancelled on request');
        await this.events.publish(op.teamId, 'operation.cancelled', { operationId: op.id, kind }, subject);
      },
    };
  }

  /**
   * Cancels an operation: a queued one at once; a running one is asked to stop at its next step
   * (its status turns `cancelled` when it does). Finished operations cannot be cancelled (409).
   */
  async cancel(principal: Principal, id: string): Promise<OperationWithSteps> {
    const op = await this.get(principal, id);
    if (op.status === 'pending') {
      await this.repo.finish(op.id, 'cancelled', undefined, 'Cancelled before it started');
      await this.events.publish(op.teamId, 'operation.cancelled', { operationId: op.id, kind: op.kind }, `operations/${op.id}`);
    } else if (op.status === 'running') {
      await this.repo.requestCancel(op.id);
      await this.repo.addStep(op.id, 'Cancellation requested', 'warn');
    } else {
      throw new DomainError('CONFLICT', `Operation ${op.id} already ${op.status}; it cannot be cancelled`);
    }
    return this.get(principal, id);
  }

  /** Long-poll: resolves when the operation has finished or `waitMs` passed, whichever first. */
  async waitFor(principal: Principal, id: string, waitMs: number): Promise<OperationWithSteps> {
    const op = await this.get(principal, id);
    if (waitMs <= 0 || ['succeeded', 'failed', 'cancelled'].includes(op.status)) return op;
    await new Promise<void>((resolve) => {
      const finished = (e: { kind: string; payload: { operationId?: string } }) => {
        if (e.payload?.operationId === id && /^operation\.(succeeded|failed|cancelled)$/.test(e.kind)) done();
      };
      const timer = setTimeout(() => done(), waitMs);
      // Another process may finish it: re-read every few seconds as well.
      const poll = setInterval(() => {
        void this.repo.findWithSteps(id).then((o) => o && ['succeeded', 'failed', 'cancelled'].includes(o.status) && done());
      }, 2000);
      const done = () => {
        clearTimeout(timer);
        clearInterval(poll);
        this.events.live.off('event', finished);
        resolve();
      };
      this.events.live.on('event', finished);
    });
    return this.get(principal, id);
  }

  /** Operations of a kind left `running` (at start: by a process that stopped or was killed). */
  async findRunning(kind: OperationKind) {
    return (await this.repo.findUnfinished()).filter((op) => op.kind === kind && op.status === 'running');
  }

  async get(principal: Principal, id: string): Promise<OperationWithSteps> {

    const op = await this.repo.findWithSteps(id, principal.role === 'owner' ? undefined : principal.teamId);
    if (!op || !(await this.visibleToNarrowed(principal, op))) throw DomainError.notFound('Operation', id);
    return op;
  }

  /** A token narrowed to some deployments sees their operations and the ones it started itself. */
  private async visibleToNarrowed(principal: Principal, op: { createdBy: string | null; deploymentId: string | null }): Promise<boolean> {
    if (principal.deployments.length === 0 || op.createdBy === principal.tokenId) return true;
    const name = op.deploymentId ? await this.repo.deploymentName(op.deploymentId) : undefined;
    return name !== undefined && principal.deployments.includes(name);
  }
}
