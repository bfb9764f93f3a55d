import type Docker from 'dockerode';
import { hostConfigOf } from '../containers/host-options';
import { BERTH_LABELS } from '../docker/docker.service';
import type { RolloutTarget } from './engine-driver';

const SECOND_NS = 1_000_000_000;

export function replicaLabels(target: RolloutTarget, role: 'replica' | 'migration', slot?: number): Record<string, string> {
  return {
    ...target.spec.labels,
    [BERTH_LABELS.managed]: 'true',
    [BERTH_LABELS.team]: target.teamId,
    [BERTH_LABELS.deployment]: target.deployment,
    [BERTH_LABELS.revision]: String(target.revision),
    [BERTH_LABELS.role]: role,
    'io.berth.generation': String(target.generation),
    ...(slot !== undefined ? { [BERTH_LABELS.slot]: String(slot) } : {}),
    ...(target.operationId && role === 'migration' ? { [BERTH_LABELS.operation]: target.operationId } : {}),
  };
}

/**
 * The engine's container configuration for one replica (or the migration container) of a target.
 * This normalized config is what the container policy (PolicyService.admit) inspects before the
 * engine sees it.
 */
export function containerConfig(target: RolloutTarget, role: 'replica' | 'migration', slot: number | undefined, name: string): Docker.ContainerCreateOptions {
  const { spec } = target;
  const env = { ...spec.env, ...spec.secretEnv, ...(role === 'migration' ? (spec.migrate?.env ?? {}) : {}) };
  const ports = role === 'replica' ? spec.ports : [];
  const [firstNetwork] = spec.networks;
  return {
    name,
    Image: spec.image,
    ...(role === 'migration' ? { Cmd: spec.migrate!.command } : spec.command ? { Cmd: spec.command } : {}),
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    Labels: replicaLabels(target, role, slot),
    ExposedPorts: Object.fromEntries(ports.map((p) => [`${p.containerPort}/${p.protocol}`, {}])),
    ...(role === 'replica' && spec.healthcheck
      ? {
          Healthcheck: {
            Test: ['CMD', ...spec.healthcheck.command],
            Interval: spec.healthcheck.intervalSeconds * SECOND_NS,
            Timeout: spec.healthcheck.timeoutSeconds * SECOND_NS,
            Retries: spec.healthcheck.retries,
            StartPeriod: spec.healthcheck.startPeriodSeconds * SECOND_NS,
          },
        }
      : {}),
    HostConfig: {
      ...hostConfigOf(spec.host),
      ...(firstNetwork ? { NetworkMode: firstNetwork } : {}),
      PortBindings: Object.fromEntries(ports.map((p) => [`${p.containerPort}/${p.protocol}`, [{ HostIp: p.hostIp, HostPort: p.hostPort ? String(p.hostPort) : '' }]])),
      Mounts: spec.volumes.map((v) => ({ Type: v.type, Source: v.source, Target: v.target, ReadOnly: v.readOnly })),
      RestartPolicy: { Name: 'no' },
      ...(spec.resources.memoryBytes ? { Memory: spec.resources.memoryBytes } : {}),
      ...(spec.resources.cpus ? { NanoCpus: Math.round(spec.resources.cpus * 1e9) } : {}),
    },
    ...(firstNetwork ? { NetworkingConfig: { EndpointsConfig: { [firstNetwork]: {} } } } : {}),
  };
}
