import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { once } from 'node:events';
import type Docker from 'dockerode';
import { BERTH_LABELS, DockerService } from '../docker/docker.service';
import type { EventKind, EventMap } from '../events/event-map';
import { EventsService } from '../events/events.service';
import type { OperationKind } from '../generated/prisma/enums';
import { OperationHandle, OperationsService } from '../operations/operations.service';

type ContainerEvent = Extract<EventKind, `container.${string}`>;

/** What a container_run operation records as its params (container-run.service.ts). */
interface RunParams {
  wait?: boolean;
  spec?: { autoRemove?: boolean };
}

const neverStarted = (info: Docker.ContainerInspectInfo) => !info.State.StartedAt || info.State.StartedAt.startsWith('0001-01-01');

/**
 * Finishes the `container_run` operations a stopped or killed API process left `running`, from
 * the engine's state (the container carries `io.berth.operation=<id>`), the way the run itself
 * would have — as if the client had left, which never stops a run:
 * - no container: the process stopped before creating it → failed;
 * - created, never started: removed, as a run that fails before start does → failed;
 * - started without ?wait=true: the run was done once started → succeeded;
 * - started with ?wait=true: wait for the exit (in the background), record the exit code and,
 *   with `autoRemove`, remove the container → succeeded.
 * Like deployments, this assumes one API process per database runs operations: at start, every
 * container_run left `running` is taken as interrupted.
 */
@Injectable()
export class ContainerRunRecoveryService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ContainerRunRecovery');
  private stopping = false;
  /** The recovery in progress (tests and shutdown can await it). */
  done: Promise<void> = Promise.resolve();

  constructor(
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(OperationsService) private readonly operations: OperationsService,
    @Inject(EventsService) private readonly events: EventsService,
  ) {}

  onApplicationBootstrap(): void {
    this.done = this.recoverAll().catch((err) => this.logger.warn(`Could not recover interrupted container runs: ${(err as Error).message}`));
  }

  onApplicationShutdown(): void {
    this.stopping = true;
  }

  private async recoverAll(): Promise<void> {
    const interrupted = await this.operations.findRunning('container_run');
    if (!interrupted.length) return;
    await this.engineReachable();
    await Promise.all(
      interrupted.map((op) =>
        this.recover(op).catch((err) => this.logger.warn(`Could not finish interrupted container run ${op.id}: ${(err as Error).message}`)),
      ),
    );
  }

  private async engineReachable(): Promise<void> {
    while (!this.stopping) {
      try {
        await this.docker.ping();
        return;
      } catch {
        await once(this.docker.stateEvents, 'reachable');
      }
    }
  }

  private async recover(op: { id: string; teamId: string; kind: OperationKind; params: unknown }): Promise<void> {
    if (this.stopping) return;
    this.logger.warn(`Finishing container run ${op.id}, interrupted by a restart`);
    const params = (op.params ?? {}) as RunParams;
    const handle = await this.operations.attach(op);
    await handle.step("Berth restarted while this run was in progress; finishing it from the engine's state", undefined, 'warn');
    const [found] = await this.docker.call('containerList', (d) => d.listContainers({ all: true, filters: { label: [`${BERTH_LABELS.operation}=${op.id}`] } }));
    if (!found) return handle.fail('interrupted: Berth stopped before the container was created (or it has been removed since)');
    let info = await this.docker.call('containerInspect', (d) => d.getContainer(found.Id).inspect());
    const containerId = info.Id;
    const name = info.Name.replace(/^\//, '');

    if (neverStarted(info)) {
      await this.docker.call('containerRemove', (d) => d.getContainer(containerId).remove({ force: true, v: true }));
      await handle.step('Removed the container that was created but never started', { step: 'cleanup', containerId });
      return handle.fail('interrupted: Berth stopped before the container was started');
    }
    if (!params.wait) return handle.succeed({ containerId, name, state: info.State.Status });

    if (info.State.Running || info.State.Restarting || info.State.Paused) {
      await handle.step('Waiting for the container to exit', { step: 'wait' });
      await this.docker.call('containerWait', (d) => d.getContainer(containerId).wait(), { longRunning: true });
      info = await this.docker.call('containerInspect', (d) => d.getContainer(containerId).inspect());
    }
    const exitCode = info.State.ExitCode;
    await handle.step(`Exited with code ${exitCode}`, { step: 'wait', exitCode });
    await this.publish(op.teamId, containerId, 'container.exited', { containerId, name, exitCode });
    const removed = await this.autoRemove(handle, params, op.teamId, containerId, name);
    await handle.succeed({ containerId, name, exitCode, removed });
  }

  private async autoRemove(handle: OperationHandle, params: RunParams, teamId: string, containerId: string, name: string): Promise<boolean> {
    if (!params.spec?.autoRemove) return false;
    await this.docker.call('containerRemove', (d) => d.getContainer(containerId).remove({ force: true })).catch((err: { code?: string }) => {
      if (err.code !== 'NOT_FOUND') throw err; // already gone
    });
    await handle.step('Removed (autoRemove)', { step: 'remove' });
    await this.publish(teamId, containerId, 'container.removed', { containerId, name, force: true, volumes: false });
    return true;
  }

  private async publish<K extends ContainerEvent>(teamId: string, containerId: string, kind: K, payload: EventMap[K]): Promise<void> {
    try {
      await this.events.publish(teamId, kind, payload, `containers/${containerId}`);
    } catch (err) {
      this.logger.warn(`Could not record ${kind} for ${containerId}: ${(err as Error).message}`);
    }
  }
}
