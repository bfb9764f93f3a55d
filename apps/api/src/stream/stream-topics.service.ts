import { Inject, Injectable } from '@nestjs/common';
import { DockerService } from '../docker/docker.service';
import { EngineEventsService } from '../docker/engine-events.service';
import type { BerthEvent } from '../events/event-map';
import { EventsService } from '../events/events.service';
import { OperationsService } from '../operations/operations.service';
import { ContainerScopeService } from './container-scope.service';
import { EventFeed } from './event-feed.service';
import { EventFilter, EventSubscription } from './event-subscription';
import { LogFanoutService } from './log-fanout.service';
import { ContainerLogSubscription, DeploymentLogSubscription, LogDeps } from './log-subscriptions';
import { StreamError } from './stream-errors';
import { StreamMetrics } from './stream-metrics';
import { authorizeSubscribe, seesEveryTeam } from './stream-permissions';
import type { SubscribeMessage } from './stream-protocol';
import { StreamRepository } from './stream.repository';
import type { Subscription, SubscriptionContext } from './subscription';
import { EventTopic, eventOptions, isLogTopic, logOptions, parseTopic, Topic } from './topics';

const payloadField = (e: BerthEvent, field: string): unknown => (e.payload && typeof e.payload === 'object' ? (e.payload as Record<string, unknown>)[field] : undefined);

function kindMatcher(kinds: string[] | undefined): ((kind: string) => boolean) | undefined {
  if (!kinds) return undefined;
  const exact = new Set(kinds.filter((k) => !k.endsWith('.*')));
  const prefixes = kinds.filter((k) => k.endsWith('.*')).map((k) => k.slice(0, -1));
  return (kind) => exact.has(kind) || prefixes.some((p) => kind.startsWith(p));
}

/** Events about a deployment: published under its subject, or naming it in the payload (replica events). */
const aboutDeployment = (e: BerthEvent, name: string) => e.subject === `deployments/${name}` || payloadField(e, 'deployment') === name;

/** Turns a `subscribe` message into the subscription for its topic (checked, scoped, authorized). */
@Injectable()
export class StreamTopicsService {
  private readonly logDeps: LogDeps;

  constructor(
    @Inject(EventFeed) private readonly feed: EventFeed,
    @Inject(EventsService) private readonly events: EventsService,
    @Inject(OperationsService) private readonly operations: OperationsService,
    @Inject(StreamRepository) private readonly repo: StreamRepository,
    @Inject(StreamMetrics) private readonly metrics: StreamMetrics,
    @Inject(LogFanoutService) fanout: LogFanoutService,
    @Inject(ContainerScopeService) scope: ContainerScopeService,
    @Inject(DockerService) docker: DockerService,
    @Inject(EngineEventsService) engineEvents: EngineEventsService,
  ) {
    this.logDeps = { fanout, scope, docker, engineEvents, metrics };
  }

  /** Parses and checks the message synchronously (so errors come back at once), then builds the subscription. */
  create(ctx: SubscriptionContext, msg: SubscribeMessage): { topic: Topic; build: () => Promise<Subscription> } {
    const topic = parseTopic(msg.topic);
    authorizeSubscribe(ctx.principal, topic);
    if (isLogTopic(topic)) {
      const options = logOptions(msg);
      return {
        topic,
        build: async () =>
          topic.kind === 'containerLogs' ? new ContainerLogSubscription(ctx, this.logDeps, topic, options) : new DeploymentLogSubscription(ctx, this.logDeps, topic, options),
      };
    }
    const options = eventOptions(topic, msg);
    return { topic, build: () => this.eventSubscription(ctx, topic, options) };
  }

  private async eventSubscription(ctx: SubscriptionContext, topic: EventTopic, options: ReturnType<typeof eventOptions>): Promise<Subscription> {
    const principal = ctx.principal;
    const teamId = seesEveryTeam(principal) ? undefined : principal.teamId;
    // A token narrowed to some deployments only sees events about those deployments.
    const narrowedTo = principal.deployments;
    const teamOk = (e: BerthEvent) =>
      (teamId === undefined || e.teamId === teamId) && (narrowedTo.length === 0 || narrowedTo.some((name) => aboutDeployment(e, name)));
    const deps = { feed: this.feed, events: this.events, metrics: this.metrics };

    switch (topic.kind) {
      case 'events': {
        const kindOk = kindMatcher(options.kinds);
        const dbKinds = options.kinds && options.kinds.every((k) => !k.endsWith('.*')) ? options.kinds : undefined;
        const deployment = options.deployment;
        const filter: EventFilter = {
          teamId,
          dbKinds,
          matches: (e) => teamOk(e) && (!kindOk || kindOk(e.kind)) && (deployment === undefined || aboutDeployment(e, deployment)),
        };
        return new EventSubscription(ctx, deps, filter, options.since);
      }
      case 'deployment': {
        const filter: EventFilter = { teamId, matches: (e) => teamOk(e) && aboutDeployment(e, topic.name) };
        return new EventSubscription(ctx, deps, filter, options.since);
      }
      case 'operation': {
        // Scoped like GET /operations/:id: another team's operation is not found.
        const op = await this.operations.get(principal, topic.id);
        if (topic.operationKind && op.kind !== topic.operationKind) throw new StreamError('NOT_FOUND', `No ${topic.operationKind} operation ${topic.id}`);
        const id = op.id;
        const filter: EventFilter = {
          teamId: op.teamId,
          matches: (e) => e.teamId === op.teamId && (payloadField(e, 'operationId') === id || e.subject === `operations/${id}`),
        };
        // By default a pipeline that subscribes after starting the operation still sees it whole.
        let since = options.since;
        if (since === undefined) {
          const start = await this.repo.operationStartSeq(id, op.teamId);
          if (start !== undefined) since = start - 1;
        }
        return new EventSubscription(ctx, deps, filter, since, { operation: { id, kind: op.kind, status: op.status } });
      }
    }
  }
}
