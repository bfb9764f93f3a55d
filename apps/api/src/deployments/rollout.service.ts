import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { DockerService } from '../docker/docker.service';
import { EventsService } from '../events/events.service';
import { ImagesService } from '../images/images.service';
import { OperationHandle, OperationsService } from '../operations/operations.service';
import type { Condition } from './deployment-status.service';
import { DeploymentLocks, DeploymentQueue } from './deployment-queue';
import { DeploymentRow, DeploymentsRepository, OperationRow } from './deployments.repository';
import { DeploymentsService } from './deployments.service';
import { ENGINE_DRIVER, EngineDriver, RolloutFailure, RolloutTarget } from './engine-driver';
import { SpecCodec } from './spec-codec';

const MAX_LOGGED_MIGRATION_LINES = 2000;

/**
 * Runs deployment operations, one at a time per deployment, from the persisted queue. Each kind
 * converges the engine to the deployment's desired state through the engine driver. Operations a
 * killed process left running are re-queued at start and resumed (convergence adopts what exists).
 */
@Injectable()
export class RolloutService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RolloutService');
  private readonly draining = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private stopping = false;

  constructor(
    @Inject(DeploymentsRepository) private readonly repo: DeploymentsRepository,
    @Inject(DeploymentsService) private readonly deployments: DeploymentsService,
    @Inject(DeploymentQueue) private readonly queue: DeploymentQueue,
    @Inject(DeploymentLocks) private readonly locks: DeploymentLocks,
    @Inject(OperationsService) private readonly operations: OperationsService,
    @Inject(EventsService) private readonly events: EventsService,
    @Inject(ImagesService) private readonly images: ImagesService,
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(SpecCodec) private readonly codec: SpecCodec,
    @Inject(ENGINE_DRIVER) private readonly driver: EngineDriver,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.queue.on('kick', (id: string) => this.kick(id));
    const interrupted = await this.repo.requeueInterrupted();
    for (const op of interrupted) {
      this.logger.warn(`Resuming operation ${op.id} (${op.kind}) interrupted by a restart`);
    }
    for (const { deploymentId } of await this.repo.deploymentsWithQueuedOperations()) if (deploymentId) this.kick(deploymentId, interrupted.map((o) => o.id));
  }

  onApplicationShutdown(): void {
    this.stopping = true;
  }

  private resumed = new Set<string>();

  kick(deploymentId: string, resumedIds: string[] = []): void {
    for (const id of resumedIds) this.resumed.add(id);
    if (this.stopping) return;
    if (this.draining.has(deploymentId)) {
      this.again.add(deploymentId);
      return;
    }
    const run = (async () => {
      do {
        this.again.delete(deploymentId);
        let op: OperationRow | null;
        while (!this.stopping && (op = await this.repo.claimNext(deploymentId))) {
          const claimed = op;
          await this.locks.run(deploymentId, () => this.execute(claimed));
        }
      } while (this.again.has(deploymentId) && !this.stopping);
    })()
      .catch((err) => this.logger.error(`Deployment queue ${deploymentId} stopped: ${(err as Error).message}`))
      .finally(() => this.draining.delete(deploymentId));
    this.draining.set(deploymentId, run);
  }

  private async execute(op: OperationRow): Promise<void> {
    const dep = await this.repo.findById(op.deploymentId!);
    if (!dep) return;
    const handle = await this.operations.attach(op, `deployments/${dep.name}`, dep.name);
    if (this.resumed.delete(op.id)) await handle.step('Berth restarted while this operation was running; resuming it from the engine\'s current state', undefined, 'warn');
    const principal: Principal = { tokenId: op.createdBy ?? '', teamId: dep.teamId, role: 'deployer', deployments: [] };
    for (let attempt = 0; ; attempt++) {
      try {
        const result = await this.perform(op, dep, handle, principal);
        await this.setCondition(dep, 'EngineUnavailable', null);
        await handle.succeed(result);
        return;
      } catch (err) {
        if (err instanceof DomainError && err.code === 'ENGINE_UNAVAILABLE' && !this.stopping) {
          await this.setCondition(dep, 'EngineUnavailable', { status: 'True', reason: 'EngineUnavailable', message: err.message });
          if (attempt === 0) await handle.step(`Docker Engine unavailable (${err.message}); waiting for it to return`, undefined, 'warn');
          await this.engineBack(Math.min(30_000, 1000 * 2 ** attempt));
          if (await this.repo.isCancelRequested(op.id)) {
            await handle.cancelled();
            return;
          }
          continue;
        }
        await this.finishFailed(op, dep, handle, err);
        return;
      }
    }
  }

  private async perform(op: OperationRow, dep: DeploymentRow, handle: OperationHandle, principal: Principal): Promise<unknown> {
    const params = (op.params ?? {}) as { revision?: number; purge?: boolean };
    switch (op.kind) {
      case 'rollout':
      case 'rollback':
        return this.rollout(op, dep, params.revision!, handle, principal);
      case 'migrate':
        return this.migrateOnly(op, dep, params.revision!, handle, principal);
      case 'delete':
        return this.remove(dep, handle, Boolean(params.purge));
      default: {
        // scale / run / stop / restart: converge the declared revision to the declared count.
        const fresh = (await this.repo.findById(dep.id))!;
        const number = fresh.targetRevision ?? fresh.currentRevision;
        if (!number) throw new DomainError('UNPROCESSABLE', `Deployment "${dep.name}" has no revision yet`);
        return this.rollout(op, fresh, number, handle, principal, { pull: false });
      }
    }
  }

  private async rollout(op: OperationRow, dep: DeploymentRow, number: number, handle: OperationHandle, principal: Principal, options: { pull?: boolean } = {}): Promise<unknown> {
    const rev = await this.repo.revision(dep.id, number);
    if (!rev) throw DomainError.notFound('Revision', String(number));
    const spec = this.codec.decode(rev.spec);
    const fresh = (await this.repo.findById(dep.id))!;
    const replicas = fresh.stopped ? 0 : fresh.desiredReplicas;
    const target: RolloutTarget = { teamId: dep.teamId, deployment: dep.name, revision: number, generation: fresh.generation, spec, replicas, operationId: op.id, authorTokenId: rev.authorTokenId };
    const isRollout = op.kind === 'rollout' || op.kind === 'rollback';
    if (isRollout) await this.setCondition(dep, 'Progressing', { status: 'True', reason: 'RolloutInProgress', message: `Rolling out revision ${number}` });

    if (options.pull !== false || !rev.imageDigest) {
      await handle.step(`Resolving image ${spec.image}`);
      try {
        const image = await this.images.ensureImage(principal, spec.image, 'missing', (message) => void handle.step(message));
        if (!rev.imageDigest) {
          const digest = await this.digestOf(image.id, spec.image);
          await this.repo.setRevisionDigest(rev.id, digest);
          await handle.step(`Image ${spec.image} resolved to ${digest}`, { digest });
        }
      } catch (err) {
        if (err instanceof DomainError && err.code === 'ENGINE_UNAVAILABLE') throw err;
        throw new RolloutFailure('ImagePullFailed', `Could not pull ${spec.image}: ${(err as Error).message}`);
      }
    }

    if (isRollout && spec.migrate && replicas > 0) {
      const done = (await this.operations.get({ ...principal, role: 'owner' }, op.id)).steps.some((s) => (s.data as { phase?: string } | null)?.phase === 'migrated');
      if (done) await handle.step('Migration already completed before the restart; not running it again');
      else await this.runMigration(target, handle);
    }

    await handle.step(replicas === 0 ? 'Scaling to 0 replicas' : `Converging to ${replicas} replica(s) of revision ${number} (${spec.strategy.type})`);
    await this.driver.converge(target, {
      step: (message, data) => handle.step(message, data),
      cancelled: () => this.repo.isCancelRequested(op.id),
      deadline: Date.now() + spec.strategy.progressDeadlineSeconds * 1000,
    });
    await this.repo.update(dep.id, { currentRevision: number });
    if (isRollout) {
      await this.setCondition(dep, 'Progressing', { status: 'True', reason: 'NewRevisionAvailable', message: `Revision ${number} is rolled out` });
      await this.events.publish(dep.teamId, 'deployment.rolled-out', { deployment: dep.name, revision: number, replicas }, `deployments/${dep.name}`);
    }
    return { revision: number, replicas };
  }

  private async migrateOnly(op: OperationRow, dep: DeploymentRow, number: number, handle: OperationHandle, principal: Principal): Promise<unknown> {
    const rev = await this.repo.revision(dep.id, number);
    if (!rev) throw DomainError.notFound('Revision', String(number));
    const spec = this.codec.decode(rev.spec);
    await this.images.ensureImage(principal, spec.image, 'missing', (message) => void handle.step(message));
    await this.runMigration({ teamId: dep.teamId, deployment: dep.name, revision: number, generation: dep.generation, spec, replicas: 0, operationId: op.id, authorTokenId: rev.authorTokenId }, handle);
    return { revision: number };
  }

  private async runMigration(target: RolloutTarget, handle: OperationHandle): Promise<void> {
    await handle.step(`Running migration: ${target.spec.migrate!.command.join(' ')}`, { phase: 'migrating' });
    let lines = 0;
    let writes = Promise.resolve();
    const { exitCode, timedOut } = await this.driver.runMigration(target, (line, stream) => {
      if (++lines > MAX_LOGGED_MIGRATION_LINES) return;
      writes = writes.then(() => handle.step(line, { migration: stream }));
    });
    await writes;
    if (lines > MAX_LOGGED_MIGRATION_LINES) await handle.step(`… ${lines - MAX_LOGGED_MIGRATION_LINES} more migration output lines not kept`);
    if (timedOut) throw new RolloutFailure('MigrationFailed', `Migration timed out after ${target.spec.migrate!.timeoutSeconds} s and was killed`);
    if (exitCode !== 0) throw new RolloutFailure('MigrationFailed', `Migration exited with code ${exitCode}; the running revision was left untouched`);
    await handle.step('Migration succeeded', { phase: 'migrated' });
  }

  private async remove(dep: DeploymentRow, handle: OperationHandle, purge: boolean): Promise<unknown> {
    const removed = await this.driver.removeAll(dep.teamId, dep.name);
    await handle.step(`Removed ${removed} container(s)`);
    if (purge) {
      await handle.succeed({ removed, purged: true });
      await this.repo.purge(dep.id);
    } else {
      await this.repo.update(dep.id, { deletedAt: new Date(), stopped: true });
    }
    await this.events.publish(dep.teamId, 'deployment.deleted', { deployment: dep.name, purged: purge }, `deployments/${dep.name}`);
    return { removed, purged: purge };
  }

  private async finishFailed(op: OperationRow, dep: DeploymentRow, handle: OperationHandle, err: unknown): Promise<void> {
    if (err instanceof RolloutFailure && err.reason === 'Cancelled') {
      await handle.cancelled();
      return;
    }
    const message = (err as Error).message ?? String(err);
    if (err instanceof RolloutFailure) {
      await this.setCondition(dep, 'Progressing', { status: 'False', reason: err.reason, message });
      await handle.step(`${err.reason}: ${message}`, { reason: err.reason }, 'error');
      await handle.fail(`${err.reason}: ${message}`);
      const fresh = await this.repo.findById(dep.id);
      const rev = fresh?.targetRevision ? await this.repo.revision(dep.id, fresh.targetRevision) : null;
      const autoRollback = rev ? this.codec.decode(rev.spec).strategy.autoRollback : false;
      if (err.reason === 'ProgressDeadlineExceeded' && autoRollback && fresh?.currentRevision && fresh.currentRevision !== fresh.targetRevision && (op.kind === 'rollout' || op.kind === 'rollback')) {
        const principal: Principal = { tokenId: op.createdBy ?? '', teamId: dep.teamId, role: 'deployer', deployments: [] };
        const rollback = await this.deployments.act(principal, dep.name, { kind: 'rollback', revision: fresh.currentRevision, automatic: true });
        await this.events.publish(dep.teamId, 'operation.step', { operationId: op.id, message: `Automatic rollback to revision ${fresh.currentRevision} queued as operation ${rollback.id}`, level: 'warn' }, `deployments/${dep.name}`);
      }
      return;
    }
    this.logger.error(`Operation ${op.id} failed: ${message}`);
    await handle.step(message, undefined, 'error');
    await handle.fail(message);
  }

  private async setCondition(dep: DeploymentRow, type: string, value: Omit<Condition, 'type' | 'lastTransitionTime'> | null): Promise<void> {
    const fresh = await this.repo.findById(dep.id);
    if (!fresh) return;
    const current = ((fresh.conditions as unknown as Condition[]) ?? []).filter((c) => c.type !== type);
    const before = ((fresh.conditions as unknown as Condition[]) ?? []).find((c) => c.type === type);
    if (!value && !before) return;
    const next = value ? [...current, { type, ...value, lastTransitionTime: new Date().toISOString() }] : current;
    await this.repo.update(dep.id, { conditions: next as never });
    if (value && (before?.reason !== value.reason || before?.status !== value.status)) {
      await this.events.publish(dep.teamId, 'deployment.condition', { deployment: dep.name, type, ...value }, `deployments/${dep.name}`);
    }
  }

  private async digestOf(imageId: string, reference: string): Promise<string> {
    const info = await this.docker.call('inspectImage', (d) => d.getImage(imageId).inspect());
    const repo = reference.replace(/[:@][^/]*$/, '');
    return info.RepoDigests?.find((d) => d.startsWith(`${repo}@`)) ?? info.RepoDigests?.[0] ?? info.Id;
  }

  private engineBack(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.docker.stateEvents.off('reachable', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.docker.stateEvents.once('reachable', done);
    });
  }
}
