import { Inject, Injectable } from '@nestjs/common';
import { BERTH_LABELS, DockerService } from '../docker/docker.service';
import type { NormalizedSpec } from './deployment-spec';
import type { DeploymentRow } from './deployments.repository';
import { DeploymentStatusDto, ConditionDto } from './dto/deployment-response.dto';
import { ENGINE_DRIVER, EngineDriver, ReplicaState } from './engine-driver';
import { replicaFromSummary } from './standalone-driver';

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/** Live status: desired state from the row, actual state from the engine (by label). */
@Injectable()
export class DeploymentStatusService {
  constructor(
    @Inject(ENGINE_DRIVER) private readonly driver: EngineDriver,
    @Inject(DockerService) private readonly docker: DockerService,
  ) {}

  async of(row: DeploymentRow, spec: Pick<NormalizedSpec, 'strategy'> | null): Promise<DeploymentStatusDto> {
    let replicas: ReplicaState[] = [];
    let engineError: string | undefined;
    try {
      replicas = await this.driver.observe(row.teamId, row.name, spec?.strategy.minReadySeconds ?? 0);
    } catch (err) {
      engineError = (err as Error).message;
    }
    return this.summarise(row, replicas, spec, engineError);
  }

  /** Status of many deployments with one engine call (list views). */
  async forMany(rows: DeploymentRow[]): Promise<Map<string, DeploymentStatusDto>> {
    const out = new Map<string, DeploymentStatusDto>();
    const list = await this.docker.call('listContainers', (d) => d.listContainers({ all: true, filters: { label: [`${BERTH_LABELS.managed}=true`, `${BERTH_LABELS.role}=replica`] } })).catch(() => []);
    for (const row of rows) {
      const mine = list.filter((c) => c.Labels[BERTH_LABELS.team] === row.teamId && c.Labels[BERTH_LABELS.deployment] === row.name);
      const replicas: ReplicaState[] = mine.map(replicaFromSummary);
      out.set(row.id, this.summarise(row, replicas, null));
    }
    return out;
  }

  private summarise(row: DeploymentRow, replicas: ReplicaState[], spec: Pick<NormalizedSpec, 'strategy'> | null, engineError?: string): DeploymentStatusDto {
    const desired = row.stopped ? 0 : row.desiredReplicas;
    const target = row.targetRevision ?? row.currentRevision;
    const ready = replicas.filter((r) => r.ready).length;
    const stored = ((row.conditions as unknown as Condition[]) ?? []).filter((c) => c.type !== 'Available' && c.type !== 'EngineUnavailable');
    const minAvailable = Math.max(0, desired - (spec?.strategy.maxUnavailable ?? 0));
    const now = new Date().toISOString();
    const conditions: ConditionDto[] = [
      engineError
        ? { type: 'Available', status: 'Unknown', reason: 'EngineUnavailable', message: engineError, lastTransitionTime: now }
        : ready >= minAvailable
          ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: `${ready}/${desired} replicas ready`, lastTransitionTime: now }
          : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: `${ready}/${desired} replicas ready, ${minAvailable} required`, lastTransitionTime: now },
      ...stored,
      ...(engineError ? [{ type: 'EngineUnavailable', status: 'True', reason: 'EngineUnavailable', message: engineError, lastTransitionTime: now }] : []),
    ];
    return {
      desired,
      running: replicas.filter((r) => r.state === 'running').length,
      ready,
      updated: replicas.filter((r) => r.revision === target && r.generation === row.generation).length,
      unavailable: Math.max(0, desired - ready),
      stopped: row.stopped,
      replicas: replicas
        .sort((a, b) => a.slot - b.slot || a.revision - b.revision)
        .map((r) => ({ containerId: r.containerId, name: r.name, slot: r.slot, revision: r.revision, state: r.state, health: r.health, ready: r.ready, restartCount: r.restartCount })),
      conditions,
    };
  }
}
