import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { BERTH_LABELS, DockerService } from '../docker/docker.service';
import { EngineContainerEvent, EngineEventsService } from '../docker/engine-events.service';
import { EventsService } from '../events/events.service';
import { DeploymentLocks } from './deployment-queue';
import { DeploymentRow, DeploymentsRepository } from './deployments.repository';
import { ENGINE_DRIVER, EngineDriver, ReplicaState } from './engine-driver';
import { SpecCodec } from './spec-codec';

const DEBOUNCE_MS = 150;
const MAX_BACKOFF_MS = 60_000;

/**
 * Keeps every deployment matching its definition between operations: desired state from Postgres,
 * actual state from the engine by label. Woken by the engine's event stream (a replica died, was
 * removed, turned unhealthy), with a periodic full resync as a safety net. Replaces failed replicas
 * per the restart policy with a crash-loop back-off, and removes containers whose definition is gone.
 * Foreign containers (without Berth's labels) are never touched.
 */
@Injectable()
export class ReconcilerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ReconcilerService');
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly crashes = new Map<string, { count: number; until: number }>();
  private interval?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    @Inject(DeploymentsRepository) private readonly repo: DeploymentsRepository,
    @Inject(EngineEventsService) private readonly engineEvents: EngineEventsService,
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(EventsService) private readonly events: EventsService,
    @Inject(DeploymentLocks) private readonly locks: DeploymentLocks,
    @Inject(SpecCodec) private readonly codec: SpecCodec,
    @Inject(ENGINE_DRIVER) private readonly driver: EngineDriver,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.engineEvents.on('container', (e: EngineContainerEvent) => this.onEngineEvent(e));
    void this.resyncAll();
    this.interval = setInterval(() => void this.resyncAll(), this.config.resyncIntervalMs);
    this.interval.unref();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearInterval(this.interval);
    for (const t of this.pending.values()) clearTimeout(t);
  }

  private onEngineEvent(e: EngineContainerEvent): void {
    const l = e.attributes;
    if (l[BERTH_LABELS.managed] !== 'true' || l[BERTH_LABELS.role] !== 'replica' || !l[BERTH_LABELS.team] || !l[BERTH_LABELS.deployment]) return;
    const base = { deployment: l[BERTH_LABELS.deployment], containerId: e.containerId, slot: Number(l[BERTH_LABELS.slot]), revision: Number(l[BERTH_LABELS.revision]) };
    if (e.action === 'die') void this.events.publish(l[BERTH_LABELS.team], 'replica.died', { ...base, ...(l.exitCode !== undefined ? { exitCode: Number(l.exitCode) } : {}) }, `deployments/${base.deployment}`).catch(() => undefined);
    if (e.action === 'health_status: unhealthy') void this.events.publish(l[BERTH_LABELS.team], 'replica.unhealthy', base, `deployments/${base.deployment}`).catch(() => undefined);
    if (['die', 'destroy', 'health_status: unhealthy', 'oom', 'stop', 'pause'].includes(e.action)) this.schedule(l[BERTH_LABELS.team], l[BERTH_LABELS.deployment], DEBOUNCE_MS);
  }

  schedule(teamId: string, name: string, delayMs: number): void {
    if (this.stopped) return;
    const key = `${teamId}/${name}`;
    clearTimeout(this.pending.get(key));
    const timer = setTimeout(() => {
      this.pending.delete(key);
      void this.reconcile(teamId, name).catch((err) => this.logger.warn(`Reconcile ${name} failed: ${(err as Error).message}`));
    }, delayMs);
    timer.unref();
    this.pending.set(key, timer);
  }

  /** Every deployment, plus every Berth replica whose definition is gone. */
  async resyncAll(): Promise<void> {
    if (this.stopped) return;
    try {
      const rows = await this.repo.listActive();
      const live = new Set(rows.map((r) => `${r.teamId}/${r.name}`));
      // Only this installation's teams: another Berth sharing the engine (with its own database)
      // owns containers whose team this database has never seen, and they are left alone.
      const teams = await this.repo.teamIds();
      const containers = await this.docker.call('listContainers', (d) => d.listContainers({ all: true, filters: { label: [`${BERTH_LABELS.managed}=true`, BERTH_LABELS.deployment] } }));
      const orphans = new Set<string>();
      for (const c of containers) {
        const key = `${c.Labels[BERTH_LABELS.team]}/${c.Labels[BERTH_LABELS.deployment]}`;
        if (!live.has(key) && teams.has(c.Labels[BERTH_LABELS.team])) orphans.add(key);
      }
      for (const key of orphans) {
        const [teamId, name] = key.split('/');
        this.schedule(teamId, name, 0);
      }
      for (const r of rows) this.schedule(r.teamId, r.name, 0);
    } catch (err) {
      this.logger.debug?.(`Resync skipped: ${(err as Error).message}`);
    }
  }

  async reconcile(teamId: string, name: string): Promise<void> {
    const row = await this.repo.find(teamId, name);
    if (!row || row.deletedAt) {
      // Containers present but the definition is gone (deleted, purged, or never finished deleting).
      if (row && (await this.repo.hasActiveOperation(row.id))) return;
      if (!row && !(await this.repo.teamIds()).has(teamId)) return; // another installation's team
      const removed = await this.driver.removeAll(teamId, name);
      if (removed) this.logger.log(`Removed ${removed} container(s) of deleted deployment ${name}`);
      return;
    }
    if (await this.repo.hasActiveOperation(row.id)) return; // the operation converges it
    if (this.locks.busy(row.id)) {
      // An operation is just finishing: look again once it has let go.
      this.schedule(teamId, name, 500);
      return;
    }
    await this.locks.run(row.id, () => this.heal(row));
  }

  private async heal(row: DeploymentRow): Promise<void> {
    const number = row.targetRevision ?? row.currentRevision;
    if (!number || (await this.repo.hasActiveOperation(row.id))) return;
    const rev = await this.repo.revision(row.id, number);
    if (!rev) return;
    const spec = this.codec.decode(rev.spec);
    const desired = row.stopped ? 0 : row.desiredReplicas;
    const replicas = await this.driver.observe(row.teamId, row.name, spec.strategy.minReadySeconds);
    const fresh = replicas.filter((r) => r.revision === number && r.generation === row.generation);
    const exited = (r: ReplicaState) => r.state === 'exited' || r.state === 'dead';
    // Exited replicas the restart policy says to leave alone keep their slot.
    const kept = fresh.filter((r) => exited(r) && (spec.restartPolicy === 'never' || (spec.restartPolicy === 'on-failure' && r.exitCode === 0)));
    const failing = fresh.filter((r) => !kept.includes(r) && (exited(r) || r.health === 'unhealthy' || r.state === 'paused'));
    const healthy = fresh.length - failing.length === desired && replicas.length === fresh.length && !failing.length;
    const key = row.id;
    if (healthy && fresh.every((r) => kept.includes(r) || r.ready)) {
      this.crashes.delete(key);
      return;
    }
    const crash = this.crashes.get(key) ?? { count: 0, until: 0 };
    if (Date.now() < crash.until) {
      this.schedule(row.teamId, row.name, crash.until - Date.now());
      return;
    }
    if (failing.length) {
      crash.count++;
      crash.until = Date.now() + Math.min(MAX_BACKOFF_MS, 500 * 2 ** (crash.count - 1));
      this.crashes.set(key, crash);
    }
    const replaced = [...failing.map((r) => r.name), ...(fresh.length - failing.length < desired ? [`${desired - (fresh.length - failing.length)} missing`] : [])];
    await this.driver.converge(
      { teamId: row.teamId, deployment: row.name, revision: number, generation: row.generation, spec, replicas: desired - kept.length, authorTokenId: rev.authorTokenId, ignore: new Set(kept.map((r) => r.containerId)), failing: new Set(failing.map((r) => r.containerId)) },
      { step: async () => undefined, cancelled: async () => (await this.repo.hasActiveOperation(row.id)) || this.stopped, deadline: Date.now() + spec.strategy.progressDeadlineSeconds * 1000 },
    ).catch((err) => this.logger.warn(`Self-healing ${row.name} did not complete: ${(err as Error).message}`));
    if (replaced.length) {
      await this.events.publish(row.teamId, 'replica.replaced', { deployment: row.name, revision: number, replaced, reason: failing.length ? 'failed replicas replaced' : 'missing replicas started' }, `deployments/${row.name}`);
    }
  }
}
