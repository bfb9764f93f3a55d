import { Inject, Injectable, Logger } from '@nestjs/common';
import type Docker from 'dockerode';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { BERTH_LABELS, DockerService } from '../docker/docker.service';
import type { EventKind, EventMap } from '../events/event-map';
import { EventsService } from '../events/events.service';
import { ContainerAccessService, ScopedContainer, seesEverything } from './container-access.service';
import { ContainerAdoptionsRepository } from './container-adoptions.repository';
import { EngineStats, toContainerStats } from './container-stats';
import { toDetail, toSummary } from './container-view';
import type { ContainerListQueryDto, KillQueryDto, RemoveQueryDto, StopQueryDto } from './dto/container-queries.dto';
import type { ContainerResponseDto } from './dto/container-response.dto';
import type { ContainerStatsDto, ContainerTopDto } from './dto/container-stats.dto';
import type { ContainerSummaryDto } from './dto/container-summary.dto';
import { normalizeSignal } from './signals';

type ContainerEvent = Extract<EventKind, `container.${string}`>;

/** 304 "already started/stopped" is success for an idempotent action, as the Docker CLI treats it. */
const notModifiedIsOk = (err: { statusCode?: number }) => {
  if (err?.statusCode === 304) return undefined;
  throw err;
};

@Injectable()
export class ContainersService {
  private readonly logger = new Logger('ContainersService');

  constructor(
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(ContainerAccessService) private readonly access: ContainerAccessService,
    @Inject(ContainerAdoptionsRepository) private readonly adoptions: ContainerAdoptionsRepository,
    @Inject(EventsService) private readonly events: EventsService,
  ) {}

  /** `docker ps`, scoped to the caller's team (or the whole host for an owner). */
  async list(principal: Principal, query: ContainerListQueryDto): Promise<ContainerSummaryDto[]> {
    const filters: Record<string, string[]> = {};
    const labels = [...(query.label ?? []), ...(query.deployment ? [`${BERTH_LABELS.deployment}=${query.deployment}`] : [])];
    if (labels.length) filters.label = labels;
    if (query.status?.length) filters.status = query.status;
    if (query.name) filters.name = [query.name];
    const all = Boolean(query.all || query.status?.length);
    // Shared with concurrent identical listings (never with one that read the engine before this request).
    const list = (extra: Record<string, string[]>) => {
      const options = { all, filters: mergeFilters(filters, extra) };
      return this.docker.sharedRead('containerList', options, (d) => d.listContainers(options));
    };

    if (seesEverything(principal)) {
      const [containers, adopted] = await Promise.all([list({}), this.access.adoptedContainers()]);
      return containers.map((c) => toSummary(c, c.Labels?.[BERTH_LABELS.team] ? undefined : adopted.get(c.Id)));
    }
    const [own, adoptions] = await Promise.all([list({ label: [`${BERTH_LABELS.team}=${principal.teamId}`] }), this.access.adoptedContainers()]);
    const adopted = [...adoptions].filter(([, team]) => team === principal.teamId).map(([id]) => id);
    const rows = own.map((c) => toSummary(c));
    if (adopted.length) {
      const foreign = await list({ id: adopted });
      // An adopted container only counts while it is still unlabelled (ids are unique; this is belt and braces).
      rows.push(...foreign.filter((c) => adopted.includes(c.Id) && !c.Labels?.[BERTH_LABELS.team]).map((c) => toSummary(c, principal.teamId)));
      rows.sort((a, b) => b.created.localeCompare(a.created));
    }
    return rows;
  }

  async get(principal: Principal, ref: string, raw = true): Promise<ContainerResponseDto> {
    const c = await this.access.resolve(principal, ref);
    return toDetail(c.info, { raw, adoptedBy: c.adoptedBy });
  }

  start(principal: Principal, ref: string): Promise<ContainerResponseDto> {
    return this.act(principal, ref, 'containerStart', (c) => c.start().catch(notModifiedIsOk), 'container.started', {});
  }

  stop(principal: Principal, ref: string, q: StopQueryDto): Promise<ContainerResponseDto> {
    const opts = q.timeout !== undefined ? { t: q.timeout } : {};
    return this.act(principal, ref, 'containerStop', (c) => c.stop(opts).catch(notModifiedIsOk), 'container.stopped', pickTimeout(q), true);
  }

  restart(principal: Principal, ref: string, q: StopQueryDto): Promise<ContainerResponseDto> {
    const opts = q.timeout !== undefined ? { t: q.timeout } : {};
    return this.act(principal, ref, 'containerRestart', (c) => c.restart(opts), 'container.restarted', pickTimeout(q), true);
  }

  pause(principal: Principal, ref: string): Promise<ContainerResponseDto> {
    return this.act(principal, ref, 'containerPause', (c) => c.pause(), 'container.paused', {});
  }

  unpause(principal: Principal, ref: string): Promise<ContainerResponseDto> {
    return this.act(principal, ref, 'containerUnpause', (c) => c.unpause(), 'container.unpaused', {});
  }

  kill(principal: Principal, ref: string, q: KillQueryDto): Promise<ContainerResponseDto> {
    const signal = normalizeSignal(q.signal ?? 'SIGKILL');
    if (!signal) throw new DomainError('VALIDATION_FAILED', `Unknown signal ${q.signal}`, [{ field: 'signal', rule: 'signal', message: `Unknown signal ${q.signal}` }]);
    return this.act(principal, ref, 'containerKill', (c) => c.kill({ signal }), 'container.killed', { signal });
  }

  async remove(principal: Principal, ref: string, q: RemoveQueryDto): Promise<void> {
    const c = await this.access.resolve(principal, ref);
    const force = q.force ?? false;
    const volumes = q.volumes ?? false;
    await this.docker.call('containerRemove', (d) => d.getContainer(c.info.Id).remove({ force, v: volumes }), { longRunning: true });
    if (c.adoptedBy) {
      await this.adoptions.forget(c.info.Id);
      this.access.forgetAdoptionsCache();
    }
    await this.publish(c, 'container.removed', { containerId: c.info.Id, name: c.name, force, volumes });
  }

  async stats(principal: Principal, ref: string): Promise<ContainerStatsDto> {
    const c = await this.access.resolve(principal, ref);
    // stream=false still lets the engine take two readings (one-shot=false), so CPU % has a delta.
    const raw = await this.docker.call('containerStats', (d) => d.getContainer(c.info.Id).stats({ stream: false }));
    return toContainerStats(raw as unknown as EngineStats);
  }

  async top(principal: Principal, ref: string): Promise<ContainerTopDto> {
    const c = await this.access.resolve(principal, ref);
    const top = (await this.docker.call('containerTop', (d) => d.getContainer(c.info.Id).top())) as { Titles?: string[]; Processes?: string[][] };
    return { titles: top.Titles ?? [], processes: top.Processes ?? [] };
  }

  /**
   * Owner only: records that a container Berth did not create belongs to a team. Labels cannot
   * change without recreating the container, so the ownership lives in container_adoptions.
   */
  async adopt(principal: Principal, ref: string, teamId: string): Promise<ContainerResponseDto> {
    if (!seesEverything(principal)) throw new DomainError('FORBIDDEN', 'Only an owner token can adopt containers');
    const c = await this.access.resolve(principal, ref);
    const labelTeam = c.info.Config?.Labels?.[BERTH_LABELS.team];
    if (labelTeam) throw new DomainError('CONFLICT', `Container ${c.name} was created by Berth for team ${labelTeam}; only containers without an io.berth.team label can be adopted`);
    if (!(await this.adoptions.teamExists(teamId))) throw DomainError.notFound('Team', teamId);
    await this.adoptions.adopt(c.info.Id, teamId, principal.tokenId);
    this.access.forgetAdoptionsCache();
    await this.publish({ ...c, teamId }, 'container.adopted', { containerId: c.info.Id, name: c.name, teamId, ...(c.adoptedBy ? { previousTeamId: c.adoptedBy } : {}) });
    return toDetail(c.info, { adoptedBy: teamId });
  }

  /** Resolve (404 when not the caller's), act on the full id, publish, answer with the new state. */
  private async act<K extends ContainerEvent>(
    principal: Principal,
    ref: string,
    operation: string,
    fn: (c: Docker.Container) => Promise<unknown>,
    kind: K,
    extra: Omit<EventMap[K], 'containerId' | 'name'>,
    longRunning = false,
  ): Promise<ContainerResponseDto> {
    const c = await this.access.resolve(principal, ref);
    await this.docker.call(operation, (d) => fn(d.getContainer(c.info.Id)), { longRunning });
    await this.publish(c, kind, { containerId: c.info.Id, name: c.name, ...extra } as EventMap[K]);
    const info = await this.docker.call('containerInspect', (d) => d.getContainer(c.info.Id).inspect());
    return toDetail(info, { adoptedBy: c.adoptedBy });
  }

  /** Events go to the owning team's stream. A failed publish is logged: the engine already acted. */
  private async publish<K extends ContainerEvent>(c: Pick<ScopedContainer, 'info' | 'teamId'>, kind: K, payload: EventMap[K]): Promise<void> {
    try {
      await this.events.publish(c.teamId ?? null, kind, payload, `containers/${c.info.Id}`);
    } catch (err) {
      this.logger.warn(`Could not record ${kind} for ${c.info.Id}: ${(err as Error).message}`);
    }
  }
}

function pickTimeout(q: StopQueryDto): { timeoutSeconds?: number } {
  return q.timeout !== undefined ? { timeoutSeconds: q.timeout } : {};
}

function mergeFilters(base: Record<string, string[]>, extra: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = { ...base };
  for (const [k, v] of Object.entries(extra)) out[k] = [...(out[k] ?? []), ...v];
  return out;
}
