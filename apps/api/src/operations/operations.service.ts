import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
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
  ) {}

  /** Creates a running operation and returns a handle to log steps and finish it. */
  async start(principal: Principal, kind: OperationKind, params: unknown, extra: { deploymentId?: string; subject?: string } = {}): Promise<OperationHandle> {
    const op = await this.repo.create({ teamId: principal.teamId, kind, params, createdBy: principal.tokenId, deploymentId: extra.deploymentId, status: 'running' });
    const subject = extra.subject ?? `operations/${op.id}`;
    await this.events.publish(op.teamId, 'operation.started', { operationId: op.id, kind }, subject);
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
    };
  }

  async get(principal: Principal, id: string): Promise<OperationWithSteps> {
    const op = await this.repo.findWithSteps(id, principal.role === 'owner' ? undefined : principal.teamId);
    if (!op) throw DomainError.notFound('Operation', id);
    return op;
  }
}
