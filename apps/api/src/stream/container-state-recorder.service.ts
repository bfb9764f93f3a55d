import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { BERTH_LABELS } from '../docker/docker.service';
import { EngineContainerEvent, EngineEventsService } from '../docker/engine-events.service';
import type { EventMap } from '../events/event-map';
import { EventsService } from '../events/events.service';
import { replicaLabels } from './container-scope.service';
import { StreamRepository } from './stream.repository';

type State = EventMap['container.state'];
const ACTIONS = new Set<State['action']>(['create', 'start', 'restart', 'stop', 'die', 'oom', 'pause', 'unpause', 'destroy', 'health_status']);

/**
 * Records the engine's state changes of team containers in the event log as `container.state`
 * (subject `containers/<id>`), whoever caused them: a crash, the OOM killer, a health check, a
 * restart policy, or Berth itself. Only containers labelled with a team of this installation
 * are recorded, so other installations sharing the engine stay out of this log. Changes that
 * happen while the API is down are not recorded.
 */
@Injectable()
export class ContainerStateRecorder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ContainerStateRecorder');
  /** Publishes one after another, in the engine's order. */
  private tail: Promise<void> = Promise.resolve();
  private readonly teams = new Map<string, { known: boolean; until: number }>();

  constructor(
    @Inject(EngineEventsService) private readonly engineEvents: EngineEventsService,
    @Inject(EventsService) private readonly events: EventsService,
    @Inject(StreamRepository) private readonly repo: StreamRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.engineEvents.on('container', this.onEvent);
  }

  onApplicationShutdown(): void {
    this.engineEvents.off('container', this.onEvent);
  }

  /** Resolves when everything seen so far has been recorded. */
  flush(): Promise<void> {
    return this.tail;
  }

  private readonly onEvent = (e: EngineContainerEvent): void => {
    const teamId = e.attributes[BERTH_LABELS.team];
    if (!teamId) return;
    const [action, health] = e.action.split(': ');
    if (!ACTIONS.has(action as State['action'])) return;
    const exitCode = e.attributes.exitCode !== undefined && /^\d+$/.test(e.attributes.exitCode) ? Number(e.attributes.exitCode) : undefined;
    const { deployment, slot, revision } = replicaLabels(e.attributes);
    const payload: State = {
      containerId: e.containerId,
      name: e.attributes.name ?? '',
      action: action as State['action'],
      ...(action === 'die' && exitCode !== undefined ? { exitCode } : {}),
      ...(action === 'health_status' && health ? { health } : {}),
      ...(deployment ? { deployment } : {}),
      ...(slot !== undefined ? { slot } : {}),
      ...(revision !== undefined ? { revision } : {}),
    };
    this.tail = this.tail.then(async () => {
      try {
        if (!(await this.isOurTeam(teamId))) return;
        await this.events.publish(teamId, 'container.state', payload, `containers/${e.containerId}`);
      } catch (err) {
        this.logger.warn(`Could not record ${e.action} of container ${e.containerId}: ${(err as Error).message}`);
      }
    });
  };

  private async isOurTeam(teamId: string): Promise<boolean> {
    const now = Date.now();
    const cached = this.teams.get(teamId);
    if (cached && (cached.known || cached.until > now)) return cached.known;
    const known = await this.repo.teamExists(teamId);
    // A team of ours stays ours; an unknown one is asked again in a while (it may be created).
    this.teams.set(teamId, { known, until: now + 10_000 });
    if (this.teams.size > 10_000) this.teams.clear();
    return known;
  }
}
