import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { createInterface } from 'node:readline';
import type Docker from 'dockerode';
import { BERTH_LABELS, DockerService } from '../docker/docker.service';
import { EngineContainerEvent, EngineEventsService } from '../docker/engine-events.service';
import { PolicyService } from '../policy/policy.service';
import { EngineDriver, ReplicaState, RolloutFailure, RolloutHooks, RolloutTarget } from './engine-driver';
import { containerConfig } from './replica-config';

const WAKE_MS = 1000;

function healthOf(status: string): ReplicaState['health'] {
  if (status.includes('(healthy)')) return 'healthy';
  if (status.includes('(unhealthy)')) return 'unhealthy';
  if (status.includes('(health: starting)')) return 'starting';
  return 'none';
}

/** A replica as the engine's container list shows it (readiness without minReadySeconds). */
export function replicaFromSummary(c: Docker.ContainerInfo): ReplicaState {
  const health = healthOf(c.Status);
  const exit = /^Exited \((-?\d+)\)/.exec(c.Status);
  return {
    containerId: c.Id,
    name: (c.Names[0] ?? '').replace(/^\//, ''),
    revision: Number(c.Labels[BERTH_LABELS.revision]),
    generation: Number(c.Labels['io.berth.generation'] ?? 0),
    slot: Number(c.Labels[BERTH_LABELS.slot]),
    state: c.State,
    health,
    ready: c.State === 'running' && (health === 'healthy' || health === 'none'),
    exitCode: exit ? Number(exit[1]) : null,
    restartCount: 0,
  };
}

/**
 * Standalone engine driver: each replica is a container on one engine, created and replaced by
 * Berth. Converging is a loop — observe by label, act within the strategy's surge/unavailability
 * budget, then wait for the engine's next event (or a second) — so it is safe to re-run after a
 * crash: it adopts whatever it finds and never duplicates.
 */
@Injectable()
export class StandaloneDriver implements EngineDriver {
  readonly kind = 'standalone' as const;

  constructor(
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(EngineEventsService) private readonly events: EngineEventsService,
    @Inject(PolicyService) private readonly policy: PolicyService,
  ) {}

  async observe(teamId: string, deployment: string, minReadySeconds = 0): Promise<ReplicaState[]> {
    const list = await this.docker.call('listContainers', (d) =>
      d.listContainers({ all: true, filters: { label: [`${BERTH_LABELS.team}=${teamId}`, `${BERTH_LABELS.deployment}=${deployment}`, `${BERTH_LABELS.role}=replica`] } }),
    );
    const now = Date.now();
    return Promise.all(
      list.map(async (c) => {
        const replica = replicaFromSummary(c);
        if (replica.ready && replica.health === 'none' && minReadySeconds > 0) {
          const info = await this.docker.call('inspectContainer', (d) => d.getContainer(c.Id).inspect()).catch(() => undefined);
          replica.ready = Boolean(info && now - Date.parse(info.State.StartedAt) >= minReadySeconds * 1000);
        }
        return replica;
      }),
    );
  }

  async converge(target: RolloutTarget, hooks: RolloutHooks): Promise<void> {
    const { strategy } = target.spec;
    const N = target.replicas;
    const isFresh = (r: ReplicaState) => r.revision === target.revision && r.generation === target.generation;
    // Admitted once per convergence, when the first replica is about to be created.
    let admitted: Promise<void> | undefined;
    for (;;) {
      if (await hooks.cancelled()) throw new RolloutFailure('Cancelled', 'Cancelled on request');
      const all = (await this.observe(target.teamId, target.deployment, strategy.minReadySeconds)).filter((r) => !target.ignore?.has(r.containerId));
      const fresh = all.filter(isFresh);
      const old = all.filter((r) => !isFresh(r));

      // Replicas of the target that died are replaced; so are surplus ones (scale down).
      const dead = fresh.filter((r) => r.state === 'exited' || r.state === 'dead' || r.state === 'created' || target.failing?.has(r.containerId));
      target.failing?.clear();
      const alive = fresh.filter((r) => !dead.includes(r));
      const surplus = alive
        .slice()
        .sort((a, b) => Number(a.ready) - Number(b.ready) || b.slot - a.slot)
        .slice(0, Math.max(0, alive.length - N));
      if (dead.length || surplus.length) {
        for (const r of dead) await hooks.step(`Replica ${r.name} exited${r.exitCode !== null ? ` with code ${r.exitCode}` : ''}; replacing it`, { containerId: r.containerId });
        await Promise.all([...dead, ...surplus].map((r) => this.remove(r.containerId)));
        if (surplus.length) await hooks.step(`Removed ${surplus.length} surplus replica(s)`, { containers: surplus.map((r) => r.name) });
        continue;
      }

      const freshReady = fresh.filter((r) => r.ready).length;
      if (fresh.length === N && freshReady === N && old.length === 0) return;
      if (Date.now() > hooks.deadline) {
        throw new RolloutFailure('ProgressDeadlineExceeded', `Revision ${target.revision} did not become ready in time: ${freshReady}/${N} replicas ready`);
      }

      // Old replicas go while availability allows: unready ones at once, ready ones only
      // while at least replicas - maxUnavailable stay ready (recreate: all of them first).
      const minAvailable = strategy.type === 'recreate' ? 0 : Math.max(0, Math.min(N, N - strategy.maxUnavailable));
      let ready = freshReady + old.filter((r) => r.ready).length;
      const removeOld: ReplicaState[] = [];
      for (const r of old.slice().sort((a, b) => Number(a.ready) - Number(b.ready))) {
        if (!r.ready) removeOld.push(r);
        else if (ready - 1 >= minAvailable) {
          removeOld.push(r);
          ready--;
        }
      }
      if (removeOld.length) {
        await Promise.all(removeOld.map((r) => this.remove(r.containerId)));
        await hooks.step(`Removed ${removeOld.length} replica(s) of the previous revision`, { containers: removeOld.map((r) => r.name) });
      }

      // New replicas start within the surge budget (recreate: once the old ones are gone).
      const remainingOld = old.length - removeOld.length;
      const maxTotal = strategy.type === 'recreate' ? (remainingOld > 0 ? 0 : N) : N + strategy.maxSurge;
      const toStart = Math.max(0, Math.min(N - fresh.length, maxTotal - (fresh.length + remainingOld)));
      if (toStart > 0) {
        const used = new Set(fresh.map((r) => r.slot));
        const slots: number[] = [];
        for (let s = 0; slots.length < toStart; s++) if (!used.has(s)) slots.push(s);
        await (admitted ??= this.admit(target, 'replica'));
        const started = await Promise.all(slots.map((slot) => this.startReplica(target, slot)));
        await hooks.step(`Started ${started.length} replica(s) of revision ${target.revision}`, { containers: started });
      }
      if (!removeOld.length && !toStart) await this.waitForChange(target.teamId, target.deployment, Math.min(WAKE_MS, Math.max(50, hooks.deadline - Date.now() + 10)));
    }
  }

  async runMigration(target: RolloutTarget, onLine: (line: string, stream: 'stdout' | 'stderr') => void): Promise<{ exitCode: number; timedOut: boolean }> {
    const timeoutMs = (target.spec.migrate?.timeoutSeconds ?? 300) * 1000;
    const existing = target.operationId
      ? await this.docker.call('listContainers', (d) => d.listContainers({ all: true, filters: { label: [`${BERTH_LABELS.operation}=${target.operationId}`, `${BERTH_LABELS.role}=migration`] } }))
      : [];
    let container: Docker.Container;
    if (existing.length) {
      container = this.docker.client.getContainer(existing[0].Id);
    } else {
      const name = `${target.deployment}-r${target.revision}-migrate-${randomBytes(3).toString('hex')}`;
      await this.admit(target, 'migration');
      container = await this.docker.call('createContainer', (d) => d.createContainer(containerConfig(target, 'migration', undefined, name)));
      try {
        await this.docker.call('startContainer', () => container.start());
      } catch (err) {
        await this.remove(container.id);
        throw err;
      }
    }
    try {
      const logs = (await this.docker.call('containerLogs', () => this.docker.longClient.getContainer(container.id).logs({ follow: true, stdout: true, stderr: true }), { longRunning: true })) as NodeJS.ReadableStream & { destroy?: () => void };
      const out = new PassThrough();
      const err = new PassThrough();
      this.docker.client.modem.demuxStream(logs, out, err);
      createInterface({ input: out }).on('line', (l) => onLine(l, 'stdout'));
      createInterface({ input: err }).on('line', (l) => onLine(l, 'stderr'));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        this.docker.call('waitContainer', () => this.docker.longClient.getContainer(container.id).wait(), { longRunning: true }).then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) await this.docker.call('killContainer', () => container.kill()).catch(() => undefined);
      const info = await this.docker.call('inspectContainer', () => container.inspect());
      // Let the last lines through the demuxer before the stream is dropped.
      await new Promise((resolve) => setImmediate(resolve));
      logs.destroy?.();
      return { exitCode: info.State.ExitCode, timedOut };
    } finally {
      await this.remove(container.id);
    }
  }

  async removeAll(teamId: string, deployment: string): Promise<number> {
    const list = await this.docker.call('listContainers', (d) =>
      d.listContainers({ all: true, filters: { label: [`${BERTH_LABELS.team}=${teamId}`, `${BERTH_LABELS.deployment}=${deployment}`] } }),
    );
    await Promise.all(list.map((c) => this.remove(c.Id)));
    return list.length;
  }

  /** The container policy over the configuration about to be sent, as the revision's author (PolicyService.admit). */
  private async admit(target: RolloutTarget, role: 'replica' | 'migration'): Promise<void> {
    const principal = await this.policy.revisionPrincipal(target.teamId, target.authorTokenId);
    const config = containerConfig(target, role, role === 'replica' ? 0 : undefined, target.deployment);
    await this.policy.admit(target.teamId, principal, config, role === 'replica' ? { kind: 'deployment', deployment: target.deployment, replicas: target.replicas } : { kind: 'migration', deployment: target.deployment });
  }

  private async startReplica(target: RolloutTarget, slot: number): Promise<string> {
    const name = `${target.deployment}-r${target.revision}-s${slot}-${randomBytes(3).toString('hex')}`;
    // Create and start run without the engine request timeout (as the Docker CLI does): on a busy
    // host, starting many replicas at once can take longer than BERTH_DOCKER_TIMEOUT_MS, and a slow
    // start is not an engine outage — treating it as one removed the replicas and started again, forever.
    const container = await this.docker.call('createContainer', (d) => d.createContainer(containerConfig(target, 'replica', slot, name)), { longRunning: true });
    try {
      for (const network of target.spec.networks.slice(1)) {
        await this.docker.call('connectNetwork', (d) => d.getNetwork(network).connect({ Container: container.id }));
      }
      await this.docker.call('startContainer', (d) => d.getContainer(container.id).start(), { longRunning: true });
    } catch (err) {
      await this.remove(container.id);
      throw err;
    }
    return name;
  }

  private async remove(id: string): Promise<void> {
    await this.docker.call('removeContainer', (d) => d.getContainer(id).remove({ force: true })).catch((err) => {
      if (err?.code !== 'NOT_FOUND' && !/already in progress/.test(err?.message)) throw err;
    });
  }

  /**
   * Resolves on the next engine event that can change what converging sees of this deployment's
   * containers (state or health), or after `timeoutMs`. Healthcheck probes are execs: every probe
   * of every replica emits exec_create, exec_start and exec_die, which change nothing here — waking
   * on them made a rollout re-list its containers dozens of times a second while it waited.
   */
  waitForChange(teamId: string, deployment: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const onEvent = (e: EngineContainerEvent) => {
        if (e.attributes[BERTH_LABELS.team] === teamId && e.attributes[BERTH_LABELS.deployment] === deployment && !e.action.startsWith('exec_')) done();
      };
      const timer = setTimeout(() => done(), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.events.off('container', onEvent);
        resolve();
      };
      this.events.on('container', onEvent);
    });
  }
}
