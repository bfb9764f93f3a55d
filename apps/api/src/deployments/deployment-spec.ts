import { DomainError, ErrorDetail } from '../common/domain-error';
import { HostOptions, normalizeHostOptions } from '../containers/host-options';
import type { DeploymentSpecDto } from './dto/deployment-spec.dto';

/** A spec with every default filled in: what revisions store and what rollouts act on. */
export interface NormalizedSpec {
  image: string;
  registry: string | null;
  command: string[] | null;
  entrypoint: string[] | null;
  env: Record<string, string>;
  /** Plaintext in memory; ciphertext (AES-256-GCM) in the database. */
  secretEnv: Record<string, string>;
  ports: { containerPort: number; protocol: 'tcp' | 'udp'; hostPort: number | null; hostIp: string }[];
  volumes: { type: 'volume' | 'bind'; source: string; target: string; readOnly: boolean }[];
  networks: string[];
  replicas: number;
  resources: { memoryBytes: number | null; cpus: number | null };
  healthcheck: { command: string[]; intervalSeconds: number; timeoutSeconds: number; retries: number; startPeriodSeconds: number } | null;
  restartPolicy: 'always' | 'on-failure' | 'never';
  labels: Record<string, string>;
  migrate: { command: string[]; env: Record<string, string>; timeoutSeconds: number } | null;
  strategy: { type: 'rolling' | 'recreate'; maxSurge: number; maxUnavailable: number; minReadySeconds: number; progressDeadlineSeconds: number; autoRollback: boolean };
  /**
   * Host-level options (privileged, namespaces, capabilities, devices, sysctls, security options),
   * present only when some were asked for, so specs without them keep the identity they had.
   */
  host?: HostOptions;
}

const sortKeys = (o: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(o ?? {}).sort(([a], [b]) => a.localeCompare(b)));

export function normalizeSpec(dto: DeploymentSpecDto): NormalizedSpec {
  const s = dto.strategy;
  const host = normalizeHostOptions(dto);
  return {
    ...(Object.keys(host).length ? { host } : {}),
    image: dto.image,
    registry: dto.registry ?? null,
    command: dto.command ?? null,
    entrypoint: dto.entrypoint ?? null,
    env: sortKeys(dto.env),
    secretEnv: sortKeys(dto.secretEnv),
    ports: (dto.ports ?? []).map((p) => ({ containerPort: p.containerPort, protocol: p.protocol ?? 'tcp', hostPort: p.hostPort ?? null, hostIp: p.hostIp ?? '127.0.0.1' })),
    volumes: (dto.volumes ?? []).map((v) => ({ type: v.type ?? (v.source.startsWith('/') ? 'bind' : 'volume'), source: v.source, target: v.target, readOnly: v.readOnly ?? false })),
    networks: dto.networks ?? [],
    replicas: dto.replicas ?? 1,
    resources: { memoryBytes: dto.resources?.memoryBytes ?? null, cpus: dto.resources?.cpus ?? null },
    healthcheck: dto.healthcheck
      ? {
          command: dto.healthcheck.command,
          intervalSeconds: dto.healthcheck.intervalSeconds ?? 5,
          timeoutSeconds: dto.healthcheck.timeoutSeconds ?? 5,
          retries: dto.healthcheck.retries ?? 3,
          startPeriodSeconds: dto.healthcheck.startPeriodSeconds ?? 0,
        }
      : null,
    restartPolicy: dto.restartPolicy?.name ?? 'always',
    labels: sortKeys(dto.labels),
    migrate: dto.migrate ? { command: dto.migrate.command, env: sortKeys(dto.migrate.env), timeoutSeconds: dto.migrate.timeoutSeconds ?? 300 } : null,
    strategy: {
      type: s?.type ?? 'rolling',
      maxSurge: s?.maxSurge ?? 1,
      maxUnavailable: s?.maxUnavailable ?? 0,
      minReadySeconds: s?.minReadySeconds ?? 0,
      progressDeadlineSeconds: s?.progressDeadlineSeconds ?? 300,
      autoRollback: s?.autoRollback ?? true,
    },
  };
}

/** Combinations that validate field by field but cannot work together → 422 naming why. */
export function checkSpecCoherence(spec: NormalizedSpec): void {
  const problems: ErrorDetail[] = [];
  spec.ports.forEach((p, i) => {
    if (p.hostPort === null) return;
    if (spec.replicas > 1) {
      problems.push({ field: `ports.${i}.hostPort`, rule: 'fixedHostPortWithReplicas', message: `ports.${i}.hostPort ${p.hostPort} is fixed, so only one replica can bind it, but replicas is ${spec.replicas}; omit hostPort to let the engine pick one per replica` });
    } else if (spec.strategy.type === 'rolling' && spec.strategy.maxSurge > 0) {
      problems.push({ field: `ports.${i}.hostPort`, rule: 'fixedHostPortWithSurge', message: `ports.${i}.hostPort ${p.hostPort} is fixed, and a rolling update with maxSurge ${spec.strategy.maxSurge} would start the new replica while the old one holds the port; use strategy recreate, or maxSurge 0 with maxUnavailable 1` });
    }
  });
  const seen = new Set<string>();
  spec.ports.forEach((p, i) => {
    const key = `${p.containerPort}/${p.protocol}`;
    if (seen.has(key)) problems.push({ field: `ports.${i}.containerPort`, rule: 'duplicatePort', message: `ports.${i} repeats container port ${key}` });
    seen.add(key);
  });
  if (spec.strategy.type === 'rolling' && spec.strategy.maxSurge === 0 && spec.strategy.maxUnavailable === 0) {
    problems.push({ field: 'strategy', rule: 'noProgressPossible', message: 'strategy.maxSurge and strategy.maxUnavailable cannot both be 0: a rolling update could never replace a replica' });
  }
  const targets = new Set<string>();
  spec.volumes.forEach((v, i) => {
    if (targets.has(v.target)) problems.push({ field: `volumes.${i}.target`, rule: 'duplicateTarget', message: `volumes.${i}.target ${v.target} is mounted twice` });
    targets.add(v.target);
    if (v.type === 'bind' && !v.source.startsWith('/')) problems.push({ field: `volumes.${i}.source`, rule: 'bindNeedsAbsolutePath', message: `volumes.${i}.source must be an absolute host path for a bind mount` });
    if (v.type === 'volume' && v.source.startsWith('/')) problems.push({ field: `volumes.${i}.source`, rule: 'volumeNeedsName', message: `volumes.${i}.source must be a volume name for type volume` });
  });
  if (problems.length) throw new DomainError('UNPROCESSABLE', `Impossible deployment spec: ${problems.map((p) => p.message).join('; ')}`, problems);
}

/** The part of a spec that makes a revision: everything except the replica count (scaling makes no revision). */
export function revisionIdentity(spec: NormalizedSpec, secretDigest: (value: string) => string): string {
  const { replicas: _replicas, ...rest } = spec;
  return canonicalJson({ ...rest, secretEnv: Object.fromEntries(Object.entries(spec.secretEnv).map(([k, v]) => [k, secretDigest(v)])) });
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export interface SpecChange {
  path: string;
  from: unknown;
  to: unknown;
}

/** Field-level differences between two specs; secret values show as "***". */
export function diffSpecs(before: NormalizedSpec | null, after: NormalizedSpec, secretDigest: (value: string) => string): SpecChange[] {
  const mask = (s: NormalizedSpec | null) => (s ? { ...s, secretEnv: Object.fromEntries(Object.entries(s.secretEnv).map(([k, v]) => [k, `***${secretDigest(v).slice(0, 8)}`])) } : null);
  const changes: SpecChange[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (canonicalJson(a) === canonicalJson(b)) return;
    if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk((a as any)[key], (b as any)[key], path ? `${path}.${key}` : key);
      return;
    }
    const hide = (v: unknown) => (path.startsWith('secretEnv') && v !== undefined ? '***' : v);
    changes.push({ path, from: hide(a), to: hide(b) });
  };
  walk(mask(before), mask(after), '');
  return changes;
}

/** The spec as responses show it: secret values replaced by "***". */
export function publicSpec(spec: NormalizedSpec): NormalizedSpec {
  return { ...spec, secretEnv: Object.fromEntries(Object.keys(spec.secretEnv).map((k) => [k, '***'])) };
}
