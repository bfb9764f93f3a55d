import { Inject, Injectable, Logger } from '@nestjs/common';
import type Docker from 'dockerode';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { BERTH_LABELS, DockerService } from '../docker/docker.service';
import { mapDockerError } from '../docker/docker-errors';
import type { EventKind, EventMap } from '../events/event-map';
import { EventsService } from '../events/events.service';
import { parseImageReference } from '../images/image-reference';
import { ImagesService } from '../images/images.service';
import { OperationHandle, OperationsService } from '../operations/operations.service';
import { PolicyService } from '../policy/policy.service';
import { ContainerLogsService } from './container-logs.service';
import { checkSharedResources } from './container-resources';
import { ContainerSpec, engineCreateBody, normalizeRunSpec, redactSpec } from './container-spec';
import { toDetail } from './container-view';
import type { ContainerRunQueryDto } from './dto/container-queries.dto';
import type { ContainerRunDto } from './dto/container-run.dto';
import type { ContainerRunResultDto } from './dto/container-run-result.dto';
import type { LogEntry } from './log-demux';
import { RunJournal } from './run-journal';

export const DEFAULT_WAIT_TAIL = 100;

type ContainerEvent = Extract<EventKind, `container.${string}`>;
type RunStep = 'image' | 'create' | 'network' | 'start' | 'wait' | 'logs' | 'remove';

export interface RunContext {
  /** Called as soon as the operation exists, so the caller can report its id even on failure. */
  onOperation?(id: string): void;
}

/** Engine messages that mean "something else holds that port": a conflict, not an engine fault. */
const PORT_TAKEN = /port is already allocated|address already in use/i;

/**
 * POST /containers: the seed's `docker run`, one reported step at a time, under a durable
 * container_run operation — resolve the image (pull if missing or pull: always), create, attach
 * extra networks, start, and with ?wait=true wait for the exit and read the last log lines.
 * A failure before the container is running removes whatever was created.
 */
@Injectable()
export class ContainerRunService {
  private readonly logger = new Logger('ContainerRunService');

  constructor(
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(ImagesService) private readonly images: ImagesService,
    @Inject(OperationsService) private readonly operations: OperationsService,
    @Inject(EventsService) private readonly events: EventsService,
    @Inject(ContainerLogsService) private readonly logs: ContainerLogsService,
    @Inject(PolicyService) private readonly policy: PolicyService,
  ) {}

  async run(principal: Principal, dto: ContainerRunDto, query: ContainerRunQueryDto, ctx: RunContext = {}): Promise<ContainerRunResultDto> {
    const spec = normalizeRunSpec(dto);
    parseImageReference(spec.image, 'image'); // a malformed reference is a 400 before anything starts
    const wait = query.wait ?? false;
    const tail = query.tail ?? DEFAULT_WAIT_TAIL;
    const keepAfterExit = wait && spec.autoRemove;
    // The container policy sees exactly the body that will be sent (the image is resolved later;
    // the policy does not look at it), before any operation, pull or container exists.
    await this.policy.admit(principal.teamId, principal, engineCreateBody(spec, spec.image, { [BERTH_LABELS.team]: principal.teamId }, { keepAfterExit }), { kind: 'container' });
    const op = await this.operations.start(principal, 'container_run', { spec: redactSpec(spec), wait, ...(wait ? { tail } : {}) });
    ctx.onOperation?.(op.id);

    let step: RunStep = 'image';
    let containerId: string | undefined;
    let running = false;
    const journal = new RunJournal(op);
    const publish = <K extends ContainerEvent>(id: string, kind: K, payload: EventMap[K]) => journal.record(() => this.publish(principal.teamId, id, kind, payload));
    try {
      let steps = 0;
      const onStep = (message: string) => {
        steps++;
        journal.step(message, { step: 'image' });
      };
      const image = await this.images.ensureImage(principal, spec.image, spec.pull, onStep);
      if (image.pulled || steps === 0) {
        journal.step(image.pulled ? `Pulled ${image.reference} (${image.id})` : `Image ${image.reference} is present locally (${image.id})`, { step: 'image', image: image.reference, id: image.id, pulled: image.pulled });
      }

      step = 'create';
      await checkSharedResources(this.docker, principal, spec);
      const labels = { [BERTH_LABELS.managed]: 'true', [BERTH_LABELS.team]: principal.teamId, [BERTH_LABELS.operation]: op.id };
      const body = engineCreateBody(spec, image.reference, labels, { keepAfterExit });
      const container = await this.docker.call('containerCreate', (d) => d.createContainer({ _query: spec.name ? { name: spec.name } : {}, _body: body } as unknown as Docker.ContainerCreateOptions));
      containerId = container.id;
      const name = spec.name ?? (await this.inspect(containerId)).Name.replace(/^\//, '');
      journal.step(`Created container ${name} (${containerId.slice(0, 12)})`, { step: 'create', containerId, name });
      publish(containerId, 'container.created', { containerId, name, image: image.reference, operationId: op.id });

      step = 'network';
      for (const network of spec.networks.slice(1)) {
        await this.docker.call('networkConnect', (d) => d.getNetwork(network).connect({ Container: containerId }));
        journal.step(`Connected to network ${network}`, { step: 'network', network });
      }

      step = 'start';
      await this.docker.call('containerStart', (d) => d.getContainer(containerId!).start());
      running = true;
      journal.step('Started', { step: 'start' });
      publish(containerId, 'container.started', { containerId, name });

      if (!wait) {
        const info = await this.inspect(containerId);
        await journal.flush();
        await op.succeed({ containerId, name, state: info.State.Status });
        return { operationId: op.id, image, container: toDetail(info), removed: false };
      }

      step = 'wait';
      const exit = (await this.docker.call('containerWait', (d) => d.getContainer(containerId!).wait(), { longRunning: true })) as { StatusCode: number };
      const exitCode = exit.StatusCode;
      journal.step(`Exited with code ${exitCode}`, { step: 'wait', exitCode });
      publish(containerId, 'container.exited', { containerId, name, exitCode });

      step = 'logs';
      const info = await this.inspect(containerId);
      const logs: LogEntry[] = tail > 0 ? await this.logs.tail(info, tail) : [];

      let removed = false;
      if (spec.autoRemove) {
        step = 'remove';
        await this.docker.call('containerRemove', (d) => d.getContainer(containerId!).remove({ force: true }));
        removed = true;
        journal.step('Removed (autoRemove)', { step: 'remove' });
        publish(containerId, 'container.removed', { containerId, name, force: true, volumes: false });
      }
      await journal.flush();
      await op.succeed({ containerId, name, exitCode, removed });
      return { operationId: op.id, image, container: toDetail(info), exitCode, logs, removed };
    } catch (err) {
      await journal.flush().catch(() => undefined);
      throw await this.failed(op, step, err, { containerId, running, spec });
    }
  }

  /** Records the failed step, cleans up a container that never ran, and returns the error to throw. */
  private async failed(op: OperationHandle, step: RunStep, err: unknown, state: { containerId?: string; running: boolean; spec: ContainerSpec }): Promise<DomainError> {
    let error = mapDockerError(err);
    if (PORT_TAKEN.test(error.message)) error = new DomainError('CONFLICT', error.message.replace(/^Docker Engine error: /, ''), undefined, { cause: err });
    if (error.code === 'CONFLICT' && step === 'create' && state.spec.name && /already in use/.test(error.message)) {
      // The engine names the other container's id; on a shared host that id may be another team's.
      error = new DomainError('CONFLICT', `The container name ${JSON.stringify(state.spec.name)} is already in use on this host`);
    }
    const message = error.message;
    await op.step(`Step ${step} failed: ${message}`, { step, error: message, code: error.code }, 'error').catch(() => undefined);
    if (state.containerId && !state.running) {
      await this.docker
        .call('containerRemove', (d) => d.getContainer(state.containerId!).remove({ force: true, v: true }))
        .then(() => op.step('Removed the container that was created but never started', { step: 'cleanup', containerId: state.containerId }))
        .catch((cleanupErr) => this.logger.warn(`Could not remove half-created container ${state.containerId}: ${cleanupErr}`));
    }
    await op.fail(`${step}: ${message}`).catch(() => undefined);
    return new DomainError(error.code, `Container run failed at step ${step}: ${error.message}`, error.details, { cause: err });
  }

  private inspect(id: string): Promise<Docker.ContainerInspectInfo> {
    return this.docker.call('containerInspect', (d) => d.getContainer(id).inspect());
  }

  private async publish<K extends ContainerEvent>(teamId: string, containerId: string, kind: K, payload: EventMap[K]): Promise<void> {
    try {
      await this.events.publish(teamId, kind, payload, `containers/${containerId}`);
    } catch (err) {
      this.logger.warn(`Could not record ${kind} for ${containerId}: ${(err as Error).message}`);
    }
  }
}
