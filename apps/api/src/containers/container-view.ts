import type Docker from 'dockerode';
import { BERTH_LABELS } from '../docker/docker.service';
import type { ContainerResponseDto } from './dto/container-response.dto';
import type { ContainerOwnershipDto, ContainerSummaryDto, PortDto } from './dto/container-summary.dto';

/** Who owns a container: its io.berth.team label, else an adoption. */
export function ownership(labels: Record<string, string> | null | undefined, adoptedBy?: string): ContainerOwnershipDto {
  const l = labels ?? {};
  const team = l[BERTH_LABELS.team] ?? adoptedBy;
  return {
    managed: l[BERTH_LABELS.managed] === 'true',
    ...(team ? { team } : {}),
    adopted: !l[BERTH_LABELS.team] && adoptedBy !== undefined,
    ...(l[BERTH_LABELS.deployment] ? { deployment: l[BERTH_LABELS.deployment] } : {}),
    ...(l[BERTH_LABELS.revision] ? { revision: l[BERTH_LABELS.revision] } : {}),
  };
}

const stripSlash = (name: string) => name.replace(/^\//, '');
const isoOrUndefined = (t: string | undefined) => (t && !t.startsWith('0001-01-01') ? t : undefined);

/** A `docker ps` row. */
export function toSummary(c: Docker.ContainerInfo, adoptedBy?: string): ContainerSummaryDto {
  return {
    id: c.Id,
    name: stripSlash(c.Names?.[0] ?? ''),
    image: c.Image,
    imageId: c.ImageID,
    command: c.Command,
    created: new Date(c.Created * 1000).toISOString(),
    state: c.State,
    status: c.Status,
    ports: (c.Ports ?? []).map((p) => ({ privatePort: p.PrivatePort, ...(p.PublicPort ? { publicPort: p.PublicPort } : {}), ...(p.IP ? { ip: p.IP } : {}), type: p.Type })),
    labels: c.Labels ?? {},
    berth: ownership(c.Labels, adoptedBy),
  };
}

/** Published and exposed ports from an inspect document, in `docker ps` form. */
export function inspectPorts(ports: Docker.ContainerInspectInfo['NetworkSettings']['Ports'] | null | undefined): PortDto[] {
  return Object.entries(ports ?? {}).flatMap(([key, bindings]) => {
    const [port, type = 'tcp'] = key.split('/');
    const privatePort = Number(port);
    if (!bindings?.length) return [{ privatePort, type }];
    return bindings.map((b) => ({ privatePort, publicPort: Number(b.HostPort), ...(b.HostIp ? { ip: b.HostIp } : {}), type }));
  });
}

const asArray = (v: string | string[] | null | undefined): string[] => (v == null ? [] : Array.isArray(v) ? v : [v]);

/** `docker inspect`, trimmed; `raw` only when asked. */
export function toDetail(c: Docker.ContainerInspectInfo, options: { raw?: boolean; adoptedBy?: string } = {}): ContainerResponseDto {
  const s = c.State;
  const h = c.HostConfig ?? {};
  const health = s.Health;
  const lastProbe = health?.Log?.[health.Log.length - 1];
  return {
    id: c.Id,
    name: stripSlash(c.Name),
    image: c.Config?.Image ?? '',
    imageId: c.Image,
    created: c.Created,
    state: {
      status: s.Status,
      running: s.Running,
      paused: s.Paused,
      restarting: s.Restarting,
      oomKilled: s.OOMKilled,
      dead: s.Dead,
      pid: s.Pid,
      exitCode: s.ExitCode,
      ...(s.Error ? { error: s.Error } : {}),
      ...(isoOrUndefined(s.StartedAt) ? { startedAt: s.StartedAt } : {}),
      ...(isoOrUndefined(s.FinishedAt) ? { finishedAt: s.FinishedAt } : {}),
      ...(health ? { health: { status: health.Status, failingStreak: health.FailingStreak, ...(lastProbe ? { lastOutput: lastProbe.Output } : {}) } } : {}),
    },
    restartCount: c.RestartCount,
    ports: inspectPorts(c.NetworkSettings?.Ports),
    mounts: (c.Mounts ?? []).map((m) => ({ type: m.Type, ...(m.Name ? { name: m.Name } : {}), source: m.Source, destination: m.Destination, readOnly: !m.RW })),
    networks: Object.entries(c.NetworkSettings?.Networks ?? {}).map(([name, n]) => ({ name, ipAddress: n.IPAddress, gateway: n.Gateway, macAddress: n.MacAddress })),
    config: {
      command: asArray(c.Config?.Cmd),
      entrypoint: asArray(c.Config?.Entrypoint),
      env: c.Config?.Env ?? [],
      workingDir: c.Config?.WorkingDir ?? '',
      user: c.Config?.User ?? '',
      tty: c.Config?.Tty ?? false,
      restartPolicy: h.RestartPolicy?.Name || 'no',
      maximumRetryCount: h.RestartPolicy?.MaximumRetryCount ?? 0,
      ...(h.Memory ? { memoryBytes: h.Memory } : {}),
      ...(h.NanoCpus ? { cpus: h.NanoCpus / 1e9 } : {}),
      autoRemove: h.AutoRemove ?? false,
      networkMode: h.NetworkMode ?? '',
    },
    labels: c.Config?.Labels ?? {},
    berth: ownership(c.Config?.Labels, options.adoptedBy),
    ...(options.raw ? { raw: c as unknown as Record<string, unknown> } : {}),
  };
}
