import type Docker from 'dockerode';
import { BERTH_LABELS, DockerService } from '../docker/docker.service';
import type { EngineContainerEvent, EngineEventsService } from '../docker/engine-events.service';
import { ContainerFollower } from './container-follower';
import { ContainerScopeService, replicaLabels } from './container-scope.service';
import type { LogFanoutService } from './log-fanout.service';
import { LogWriter } from './log-writer';
import type { StreamMetrics } from './stream-metrics';
import { authorizeSubscribe, seesEveryTeam } from './stream-permissions';
import type { LogSource } from './stream-protocol';
import type { Subscription, SubscriptionContext } from './subscription';
import { MAX_TAIL, type LogOptions, type LogTopic } from './topics';

export interface LogDeps {
  fanout: LogFanoutService;
  scope: ContainerScopeService;
  docker: DockerService;
  engineEvents: EngineEventsService;
  metrics: StreamMetrics;
}

/** `containers/<id|name>/logs`: one container's log, history then live, across restarts. */
export class ContainerLogSubscription implements Subscription {
  readonly carries = 'logs' as const;
  private follower?: ContainerFollower;
  private readonly writer: LogWriter;
  private stopped = false;

  constructor(
    private readonly ctx: SubscriptionContext,
    private readonly deps: LogDeps,
    private readonly topicInfo: Extract<LogTopic, { kind: 'containerLogs' }>,
    private readonly options: LogOptions,
  ) {
    this.writer = new LogWriter(ctx.topic, ctx.sender, options, deps.metrics);
  }

  get topic(): string {
    return this.ctx.topic;
  }

  async start(): Promise<void> {
    const container = await this.deps.scope.resolve(this.ctx.principal, this.topicInfo.container);
    authorizeSubscribe(this.ctx.principal, this.topicInfo, container);
    if (this.stopped) return;
    const source: LogSource = { containerId: container.id };
    this.follower = new ContainerFollower(this.deps.fanout, container, source, this.writer, { tail: this.options.tail, since: this.options.since, stream: this.options.stream }, () => {
      this.ctx.sender.send({ type: 'unsubscribed', topic: this.topic, reason: 'removed' });
      this.stop();
      this.ctx.ended(this);
    });
    await this.follower.prepare();
    if (this.stopped) return this.follower.stop();
    this.ctx.sender.send({ type: 'subscribed', ...(this.ctx.ref !== undefined ? { ref: this.ctx.ref } : {}), topic: this.topic, carries: 'logs', containers: [source] });
    this.follower.begin();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.follower?.stop();
    this.writer.dispose();
  }
}

/**
 * `deployments/<name>/logs`: the merged log of a deployment's replicas (containers labelled
 * io.berth.deployment=<name>, io.berth.role=replica, and the team), each line tagged with its
 * container id, slot and revision. Replicas that start later (a rollout's replacements) are
 * followed from their first line as the engine reports them; removed ones drop out. The
 * subscription itself goes on whatever happens to the replicas.
 */
export class DeploymentLogSubscription implements Subscription {
  readonly carries = 'logs' as const;
  private readonly followers = new Map<string, ContainerFollower>();
  private readonly writer: LogWriter;
  private announced = false;
  /** Followers prepared before the subscription was announced, to begin right after. */
  private early: ContainerFollower[] = [];
  private stopped = false;

  constructor(
    private readonly ctx: SubscriptionContext,
    private readonly deps: LogDeps,
    private readonly topicInfo: Extract<LogTopic, { kind: 'deploymentLogs' }>,
    private readonly options: LogOptions,
  ) {
    this.writer = new LogWriter(ctx.topic, ctx.sender, options, deps.metrics);
  }

  get topic(): string {
    return this.ctx.topic;
  }

  async start(): Promise<void> {
    authorizeSubscribe(this.ctx.principal, this.topicInfo);
    // Listen first, then list: a replica starting in between is seen by one or the other.
    this.deps.engineEvents.on('container', this.onEngineEvent);
    const running = await this.deps.docker.call('containerList', (d) => d.listContainers({ filters: { label: this.labelFilters() } }));
    if (this.stopped) return;
    const infos = await Promise.all(running.map((c) => this.inspect(c.Id)));
    if (this.stopped) return;
    const initial = infos
      .filter((info): info is Docker.ContainerInspectInfo => Boolean(info) && !this.followers.has(info!.Id))
      .map((info) => this.follow(info.Id, Boolean(info.Config?.Tty), info.Config?.Labels, { tail: this.options.tail, since: this.options.since, stream: this.options.stream }));
    // A replica that vanished while we looked is simply not followed.
    await Promise.all(initial.map((f) => f.prepare().catch(() => this.forget(f))));
    if (this.stopped) return;
    this.ctx.sender.send({
      type: 'subscribed',
      ...(this.ctx.ref !== undefined ? { ref: this.ctx.ref } : {}),
      topic: this.topic,
      carries: 'logs',
      containers: [...this.followers.values()].map((f) => f.source),
    });
    this.announced = true;
    for (const f of initial) if (this.followers.get(f.source.containerId) === f) f.begin();
    for (const f of this.early.splice(0)) f.begin();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.deps.engineEvents.off('container', this.onEngineEvent);
    for (const f of this.followers.values()) f.stop();
    this.followers.clear();
    this.early = [];
    this.writer.dispose();
  }

  private labelFilters(): string[] {
    const filters = [`${BERTH_LABELS.deployment}=${this.topicInfo.name}`, `${BERTH_LABELS.role}=replica`];
    if (!seesEveryTeam(this.ctx.principal)) filters.push(`${BERTH_LABELS.team}=${this.ctx.principal.teamId}`);
    return filters;
  }

  private isReplica(labels: Record<string, string>): boolean {
    return (
      labels[BERTH_LABELS.deployment] === this.topicInfo.name &&
      labels[BERTH_LABELS.role] === 'replica' &&
      (seesEveryTeam(this.ctx.principal) || labels[BERTH_LABELS.team] === this.ctx.principal.teamId)
    );
  }

  private readonly onEngineEvent = (e: EngineContainerEvent): void => {
    if (this.stopped || e.action !== 'start' || this.followers.has(e.containerId) || !this.isReplica(e.attributes)) return;
    void this.addReplica(e.containerId);
  };

  /** A replica started after we subscribed: follow it from its first line. */
  private async addReplica(containerId: string): Promise<void> {
    const info = await this.inspect(containerId);
    if (!info) return; // gone already
    if (this.stopped || this.followers.has(containerId)) return;
    const follower = this.follow(containerId, Boolean(info.Config?.Tty), info.Config?.Labels ?? {}, { tail: MAX_TAIL, stream: this.options.stream });
    try {
      await follower.prepare();
    } catch {
      return this.forget(follower);
    }
    if (this.stopped || this.followers.get(containerId) !== follower) return follower.stop();
    if (this.announced) follower.begin();
    else this.early.push(follower);
  }

  private async inspect(containerId: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.deps.docker.call('containerInspect', (d) => d.getContainer(containerId).inspect());
    } catch {
      return undefined;
    }
  }

  private follow(containerId: string, tty: boolean, labels: Record<string, string> | undefined, history: { tail: number; since?: number; stream: LogOptions['stream'] }): ContainerFollower {
    const { slot, revision } = replicaLabels(labels);
    const source: LogSource = { containerId, ...(slot !== undefined ? { slot } : {}), ...(revision !== undefined ? { revision } : {}) };
    const follower = new ContainerFollower(this.deps.fanout, { id: containerId, tty }, source, this.writer, history, (f) => this.forget(f));
    this.followers.set(containerId, follower);
    return follower;
  }

  private forget(follower: ContainerFollower): void {
    follower.stop();
    if (this.followers.get(follower.source.containerId) === follower) this.followers.delete(follower.source.containerId);
  }
}
