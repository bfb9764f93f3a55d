import { posix } from 'node:path';
import { DomainError, ErrorDetail } from '../common/domain-error';
import { BERTH_LABELS } from '../docker/docker.service';
import type { ContainerRunDto, PullPolicy } from './dto/container-run.dto';
import { ABSOLUTE_PATH, VOLUME_NAME } from './dto/validators';
import { HostOptions, hostConfigOf, normalizeHostOptions } from './host-options';

export const DEFAULT_HOST_IP = '127.0.0.1';
export const DEFAULT_NETWORK = 'bridge';
/** Networks that are modes rather than attachable networks: they cannot be combined with others. */
const EXCLUSIVE_NETWORKS = new Set(['host', 'none']);

/**
 * The normalized, validated description of a container to run: every default applied, every
 * path normalized. This is the single place later checks (bind-mount and publishing policy)
 * look at before anything reaches the engine.
 */
export interface ContainerSpec {
  image: string;
  name?: string;
  command?: string[];
  entrypoint?: string[];
  env: Record<string, string>;
  workingDir?: string;
  user?: string;
  tty: boolean;
  ports: { containerPort: number; protocol: 'tcp' | 'udp' | 'sctp'; hostIp: string; hostPort?: number }[];
  mounts: { type: 'volume' | 'bind'; source: string; target: string; readOnly: boolean }[];
  networks: string[];
  restartPolicy: { name: 'no' | 'always' | 'unless-stopped' | 'on-failure'; maximumRetryCount: number };
  memoryBytes?: number;
  cpus?: number;
  healthcheck?: { test: string[]; intervalSeconds?: number; timeoutSeconds?: number; retries?: number; startPeriodSeconds?: number };
  labels: Record<string, string>;
  autoRemove: boolean;
  pull: PullPolicy;
  /** Privileged, host namespaces, capabilities, devices, sysctls, security options: only those asked for. */
  host: HostOptions;
}

function fail(details: ErrorDetail[]): never {
  throw new DomainError('VALIDATION_FAILED', `Validation failed: ${details.map((d) => d.message).join('; ')}`, details);
}

/** Applies defaults and checks the rules that span fields (class-validator checked each field). */
export function normalizeRunSpec(dto: ContainerRunDto): ContainerSpec {
  const problems: ErrorDetail[] = [];
  const problem = (field: string, rule: string, message: string) => problems.push({ field, rule, message });

  const mounts = (dto.volumes ?? []).map((m, i) => {
    let source = m.source;
    if (m.type === 'bind') {
      if (!ABSOLUTE_PATH.test(source)) problem(`volumes.${i}.source`, 'absolutePath', `volumes.${i}.source must be an absolute host path without ".." segments for a bind mount`);
      source = posix.normalize(source).replace(/(.)\/+$/, '$1');
    } else if (!VOLUME_NAME.test(source)) {
      problem(`volumes.${i}.source`, 'volumeName', `volumes.${i}.source must be a volume name (letters, digits, "_", "." and "-")`);
    }
    return { type: m.type, source, target: posix.normalize(m.target).replace(/(.)\/+$/, '$1'), readOnly: m.readOnly ?? false };
  });
  const targets = new Map<string, number>();
  mounts.forEach((m, i) => {
    if (m.target === '/') problem(`volumes.${i}.target`, 'notRoot', `volumes.${i}.target cannot be /`);
    if (targets.has(m.target)) problem(`volumes.${i}.target`, 'unique', `volumes.${i}.target ${m.target} is already mounted by volumes.${targets.get(m.target)}`);
    targets.set(m.target, i);
  });

  const networks = dto.networks?.length ? [...new Set(dto.networks)] : [DEFAULT_NETWORK];
  if (networks.length > 1 && networks.some((n) => EXCLUSIVE_NETWORKS.has(n))) problem('networks', 'exclusive', 'networks host and none cannot be combined with other networks');

  const ports = (dto.ports ?? []).map((p) => ({ containerPort: p.containerPort, protocol: p.protocol ?? 'tcp', hostIp: p.hostIp ?? DEFAULT_HOST_IP, ...(p.hostPort ? { hostPort: p.hostPort } : {}) }));
  if (ports.length && EXCLUSIVE_NETWORKS.has(networks[0])) problem('ports', 'network', `ports cannot be published with network ${networks[0]}`);
  const bound = new Set<string>();
  ports.forEach((p, i) => {
    if (p.hostPort === undefined) return;
    const key = `${p.hostIp}:${p.hostPort}/${p.protocol}`;
    if (bound.has(key)) problem(`ports.${i}.hostPort`, 'unique', `ports.${i} publishes ${key} twice`);
    bound.add(key);
  });

  const restartPolicy = { name: dto.restartPolicy?.name ?? 'no', maximumRetryCount: dto.restartPolicy?.maximumRetryCount ?? 0 };
  if (restartPolicy.maximumRetryCount && restartPolicy.name !== 'on-failure') {
    problem('restartPolicy.maximumRetryCount', 'onFailureOnly', 'restartPolicy.maximumRetryCount applies only to on-failure');
  }
  if (dto.autoRemove && restartPolicy.name !== 'no') problem('autoRemove', 'conflict', 'autoRemove cannot be combined with a restart policy');

  const hc = dto.healthcheck;
  if (hc) {
    const [kind, ...rest] = hc.test;
    if (!['CMD', 'CMD-SHELL', 'NONE'].includes(kind)) problem('healthcheck.test', 'kind', 'healthcheck.test must start with CMD, CMD-SHELL or NONE');
    else if (kind === 'CMD' && rest.length === 0) problem('healthcheck.test', 'command', 'healthcheck.test with CMD needs a program');
    else if (kind === 'CMD-SHELL' && rest.length !== 1) problem('healthcheck.test', 'command', 'healthcheck.test with CMD-SHELL takes exactly one command string');
    else if (kind === 'NONE' && rest.length) problem('healthcheck.test', 'command', 'healthcheck.test NONE takes no arguments');
  }
  if (problems.length) fail(problems);

  return {
    image: dto.image,
    ...(dto.name ? { name: dto.name } : {}),
    ...(dto.command ? { command: dto.command } : {}),
    ...(dto.entrypoint ? { entrypoint: dto.entrypoint } : {}),
    env: { ...dto.env },
    ...(dto.workingDir ? { workingDir: posix.normalize(dto.workingDir) } : {}),
    ...(dto.user ? { user: dto.user } : {}),
    tty: dto.tty ?? false,
    ports,
    mounts,
    networks,
    restartPolicy,
    ...(dto.memoryBytes ? { memoryBytes: dto.memoryBytes } : {}),
    ...(dto.cpus ? { cpus: dto.cpus } : {}),
    ...(hc ? { healthcheck: { ...hc } } : {}),
    labels: { ...dto.labels },
    autoRemove: dto.autoRemove ?? false,
    pull: dto.pull ?? 'missing',
    host: normalizeHostOptions(dto),
  };
}

/** What is recorded in the operation's params and events: the spec with environment values hidden. */
export function redactSpec(spec: ContainerSpec): Omit<ContainerSpec, 'env'> & { env: Record<string, '***'> } {
  return { ...spec, env: Object.fromEntries(Object.keys(spec.env).map((k) => [k, '***' as const])) };
}

const seconds = (s: number | undefined) => (s === undefined ? undefined : s * 1_000_000_000);

/**
 * The engine's create-container body (API 1.41) for a spec. `labels` are Berth's own labels; they
 * override any user label of the same key (the DTO refuses io.berth.* keys anyway). With
 * `keepAfterExit`, AutoRemove is left to the caller (POST ?wait=true removes after reading logs).
 */
export function engineCreateBody(spec: ContainerSpec, image: string, labels: Record<string, string>, options: { keepAfterExit?: boolean } = {}) {
  const portKey = (p: ContainerSpec['ports'][number]) => `${p.containerPort}/${p.protocol}`;
  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.ports) {
    exposed[portKey(p)] = {};
    (bindings[portKey(p)] ??= []).push({ HostIp: p.hostIp, HostPort: p.hostPort ? String(p.hostPort) : '' });
  }
  const hc = spec.healthcheck;
  const [network] = spec.networks;
  // Volumes created for the container belong to the team, not to the operation that created them.
  const volumeLabels = Object.fromEntries(Object.entries(labels).filter(([k]) => k === BERTH_LABELS.managed || k === BERTH_LABELS.team));
  return {
    Image: image,
    ...(spec.command ? { Cmd: spec.command } : {}),
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint.length ? spec.entrypoint : [''] } : {}),
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    ...(spec.user ? { User: spec.user } : {}),
    Tty: spec.tty,
    OpenStdin: false,
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    Labels: { ...spec.labels, ...labels },
    ExposedPorts: exposed,
    ...(hc
      ? { Healthcheck: { Test: hc.test, Interval: seconds(hc.intervalSeconds), Timeout: seconds(hc.timeoutSeconds), Retries: hc.retries, StartPeriod: seconds(hc.startPeriodSeconds) } }
      : {}),
    HostConfig: {
      ...hostConfigOf(spec.host),
      PortBindings: bindings,
      Mounts: spec.mounts.map((m) => ({
        Type: m.type,
        Source: m.source,
        Target: m.target,
        ReadOnly: m.readOnly,
        ...(m.type === 'volume' ? { VolumeOptions: { Labels: volumeLabels } } : {}),
      })),
      NetworkMode: network,
      RestartPolicy: { Name: spec.restartPolicy.name === 'no' ? '' : spec.restartPolicy.name, MaximumRetryCount: spec.restartPolicy.maximumRetryCount },
      ...(spec.memoryBytes ? { Memory: spec.memoryBytes } : {}),
      ...(spec.cpus ? { NanoCpus: Math.round(spec.cpus * 1e9) } : {}),
      AutoRemove: spec.autoRemove && !options.keepAfterExit,
    },
    NetworkingConfig: { EndpointsConfig: { [network]: {} } },
  };
}
