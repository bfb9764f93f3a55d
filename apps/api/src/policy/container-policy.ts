import { posix } from 'node:path';
import type { ErrorDetail } from '../common/domain-error';
import { DEFAULT_CAPABILITIES, DOCKER_SOCKETS, normalizeCapability, SAFE_SYSCTLS, TeamPolicy } from './team-policy';

/** One refused option: where in the engine's create body (dotted path), which rule, and why. */
export type PolicyViolation = ErrorDetail;

/**
 * The part of the engine's create-container body (dockerode `ContainerCreateOptions`, API 1.41)
 * the policy reads. Typed loosely on purpose: the check must hold for whatever a caller built.
 */
export interface EngineContainerConfig {
  HostConfig?: object;
}

export interface PolicyCheckOptions {
  /**
   * Resolves symlinks in a host path as the engine would (the engine follows them when it
   * mounts). Returns undefined when the path does not exist or cannot be seen from here; the
   * lexical path is checked either way.
   */
  resolvePath?: (path: string) => string | undefined;
  /** Further Docker socket paths (the one Berth itself talks to, when it is a unix socket). */
  dockerSockets?: readonly string[];
}

const HOW_TO = 'the owner can allow it in PUT /teams/:id/policy';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Lexically normalized absolute path without a trailing slash ("/a/b/../c/" → "/a/c"). */
export function normalizeHostPath(path: string): string {
  const n = posix.normalize(path);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/** Whether `path` is `prefix` itself or below it, segment-wise (/srv/a covers /srv/a/x, not /srv/ab). */
export function isWithin(path: string, prefix: string): boolean {
  const p = normalizeHostPath(prefix);
  return p === '/' || path === p || path.startsWith(`${p}/`);
}

/**
 * The container policy: every option in `config` that `policy` does not allow, as violations.
 * Pure — no engine, no database. Quotas are counted separately (checkQuotas). Owners are not
 * checked at all; that is the caller's decision (PolicyService).
 */
export function checkContainerPolicy(config: EngineContainerConfig, policy: TeamPolicy, options: PolicyCheckOptions = {}): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  const add = (field: string, rule: string, message: string) => out.push({ field, rule, message });
  const hc = (isObject(config.HostConfig) ? config.HostConfig : {}) as Record<string, unknown>;
  const { allow } = policy;

  if (hc.Privileged === true && !allow.privileged) add('HostConfig.Privileged', 'privileged', `privileged containers are not allowed for this team (${HOW_TO}: allow.privileged)`);

  const namespaces: [string, string, keyof TeamPolicy['allow'], string][] = [
    ['PidMode', 'hostPid', 'hostPid', "the host's PID namespace"],
    ['IpcMode', 'hostIpc', 'hostIpc', "the host's IPC namespace"],
    ['NetworkMode', 'hostNetwork', 'hostNetwork', "the host's network"],
    ['UTSMode', 'hostUts', 'hostUts', "the host's UTS namespace"],
    ['UsernsMode', 'hostUserns', 'hostUserns', "the host's user namespace"],
  ];
  for (const [key, rule, switchName, what] of namespaces) {
    const mode = str(hc[key]);
    if (mode === 'host' && !allow[switchName]) add(`HostConfig.${key}`, rule, `${key} host (${what}) is not allowed for this team (${HOW_TO}: allow.${switchName})`);
    if (mode.startsWith('container:')) add(`HostConfig.${key}`, 'sharedNamespace', `${key} ${mode} would join another container's namespace, which only the owner may do`);
  }

  const allowedCaps = new Set([...DEFAULT_CAPABILITIES, ...allow.capabilities.map(normalizeCapability)]);
  asArray(hc.CapAdd).forEach((raw, i) => {
    const cap = normalizeCapability(str(raw));
    if (!allowedCaps.has(cap) && !allowedCaps.has('ALL')) {
      add(`HostConfig.CapAdd.${i}`, 'capability', `capability ${cap || JSON.stringify(raw)} is outside Docker's default set and not allowed for this team (${HOW_TO}: allow.capabilities)`);
    }
  });

  if (!allow.devices) {
    asArray(hc.Devices).forEach((d, i) => add(`HostConfig.Devices.${i}`, 'device', `host device ${isObject(d) ? str(d.PathOnHost) || '?' : '?'} is not allowed for this team (${HOW_TO}: allow.devices)`));
    asArray(hc.DeviceRequests).forEach((_, i) => add(`HostConfig.DeviceRequests.${i}`, 'device', `device requests (GPUs) are not allowed for this team (${HOW_TO}: allow.devices)`));
    asArray(hc.DeviceCgroupRules).forEach((_, i) => add(`HostConfig.DeviceCgroupRules.${i}`, 'device', `device cgroup rules are not allowed for this team (${HOW_TO}: allow.devices)`));
  }

  if (!allow.unsafeSysctls && isObject(hc.Sysctls)) {
    for (const key of Object.keys(hc.Sysctls)) {
      if (!SAFE_SYSCTLS.has(key.replace(/\//g, '.'))) add(`HostConfig.Sysctls.${key}`, 'unsafeSysctl', `sysctl ${key} is outside the safe namespaced set and not allowed for this team (${HOW_TO}: allow.unsafeSysctls)`);
    }
  }

  if (!allow.unconfined) {
    asArray(hc.SecurityOpt).forEach((raw, i) => {
      const opt = str(raw);
      const m = /^([a-z-]+)(?:[=:](.*))?$/s.exec(opt);
      const key = m?.[1] ?? '';
      const value = m?.[2] ?? '';
      const field = `HostConfig.SecurityOpt.${i}`;
      if (key === 'no-new-privileges') return;
      if (key === 'seccomp' && value === 'unconfined') return add(field, 'seccompUnconfined', `seccomp=unconfined is not allowed for this team (${HOW_TO}: allow.unconfined)`);
      if (key === 'seccomp' && value !== 'builtin') return add(field, 'seccompProfile', `a custom seccomp profile is not allowed for this team (${HOW_TO}: allow.unconfined)`);
      if (key === 'seccomp') return;
      if (key === 'apparmor' && value === 'unconfined') return add(field, 'apparmorUnconfined', `apparmor=unconfined is not allowed for this team (${HOW_TO}: allow.unconfined)`);
      if (key === 'apparmor' && value) return;
      if (key === 'label' && value === 'disable') return add(field, 'labelDisabled', `label=disable (no SELinux confinement) is not allowed for this team (${HOW_TO}: allow.unconfined)`);
      if (key === 'label') return add(field, 'selinuxLabel', `custom SELinux labels are not allowed for this team (${HOW_TO}: allow.unconfined)`);
      if (key === 'systempaths' && value === 'unconfined') return add(field, 'systempathsUnconfined', `systempaths=unconfined is not allowed for this team (${HOW_TO}: allow.unconfined)`);
      add(field, 'securityOpt', `security option ${JSON.stringify(opt.slice(0, 64))} is not allowed for this team`);
    });
    for (const key of ['MaskedPaths', 'ReadonlyPaths']) {
      if (Array.isArray(hc[key]) && (hc[key] as unknown[]).length === 0) add(`HostConfig.${key}`, 'systempathsUnconfined', `an empty ${key} unmasks /proc and /sys, which is not allowed for this team (${HOW_TO}: allow.unconfined)`);
    }
  }

  // Bind mounts: HostConfig.Binds ("src:dst[:opts]"; a src that is not a path is a named volume) and Mounts of type bind.
  const checkBind = (field: string, source: string) => {
    if (!source.startsWith('/')) return add(field, 'hostPath', `bind source ${JSON.stringify(source)} must be an absolute host path`);
    const lexical = normalizeHostPath(source);
    const resolved = options.resolvePath?.(lexical);
    const paths = resolved && resolved !== lexical ? [lexical, normalizeHostPath(resolved)] : [lexical];
    const sockets = [...DOCKER_SOCKETS, ...(options.dockerSockets ?? [])].map(normalizeHostPath);
    if (paths.some((p) => sockets.some((s) => isWithin(s, p)))) {
      return add(field, 'dockerSocket', `bind source ${lexical}${resolved && resolved !== lexical ? ` (${resolved})` : ''} is or contains the Docker socket, which only the owner may mount`);
    }
    const denied = paths.find((p) => !policy.bindMounts.some((prefix) => isWithin(p, prefix)));
    if (denied !== undefined) {
      const granted = policy.bindMounts.length ? `allowed prefixes: ${policy.bindMounts.join(', ')}` : 'no host path is allowed';
      add(field, 'hostPath', `bind mount of host path ${denied}${denied !== lexical ? ` (${source} resolves there)` : ''} is not allowed for this team (${granted}; ${HOW_TO}: bindMounts)`);
    }
  };
  asArray(hc.Binds).forEach((raw, i) => {
    const source = str(raw).split(':')[0];
    if (source.startsWith('/') || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(source)) checkBind(`HostConfig.Binds.${i}`, source);
  });
  asArray(hc.Mounts).forEach((raw, i) => {
    const m = isObject(raw) ? raw : {};
    const type = str(m.Type);
    if (type === 'bind') return checkBind(`HostConfig.Mounts.${i}.Source`, str(m.Source));
    if (type === 'volume') {
      const driver = isObject(m.VolumeOptions) ? m.VolumeOptions.DriverConfig : undefined;
      if (isObject(driver) && (str(driver.Name) || isObject(driver.Options))) {
        add(`HostConfig.Mounts.${i}.VolumeOptions.DriverConfig`, 'volumeDriver', 'volume driver options (which can mount host paths) are not allowed for this team');
      }
      return;
    }
    if (type === 'tmpfs') return;
    add(`HostConfig.Mounts.${i}.Type`, 'mountType', `mount type ${JSON.stringify(type)} is not allowed for this team`);
  });
  if (str(hc.VolumeDriver)) add('HostConfig.VolumeDriver', 'volumeDriver', 'a volume driver is not allowed for this team');
  if (asArray(hc.VolumesFrom).length) add('HostConfig.VolumesFrom', 'volumesFrom', "mounting another container's volumes is not allowed for this team");
  if (str(hc.CgroupParent)) add('HostConfig.CgroupParent', 'cgroupParent', 'a custom cgroup parent is not allowed for this team');

  // Published host ports ("" or "0" means an engine-chosen ephemeral port; "8000-8010" a range).
  if (isObject(hc.PortBindings)) {
    for (const [port, bindings] of Object.entries(hc.PortBindings)) {
      asArray(bindings).forEach((b, i) => {
        const hostPort = isObject(b) ? str(b.HostPort) || String(b.HostPort ?? '') : '';
        if (hostPort === '' || hostPort === '0' || hostPort === 'undefined') return;
        const field = `HostConfig.PortBindings.${port}.${i}.HostPort`;
        const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(hostPort);
        if (!m) return add(field, 'hostPortRange', `host port ${JSON.stringify(hostPort)} is not a port number`);
        const low = Number(m[1]);
        const high = Number(m[2] ?? m[1]);
        if (low < 1024 && !allow.privilegedPorts) {
          return add(field, 'privilegedPort', `host port ${hostPort} is below 1024, which this team may not publish on (${HOW_TO}: allow.privilegedPorts)`);
        }
        const { min, max } = policy.hostPorts;
        if (low < min || high > max) add(field, 'hostPortRange', `host port ${hostPort} is outside this team's range ${min}-${max} (${HOW_TO}: hostPorts)`);
      });
    }
  }

  // Resources per container.
  const memory = typeof hc.Memory === 'number' ? hc.Memory : 0;
  const { limits } = policy;
  if (limits.memoryBytes !== null && memory > limits.memoryBytes) add('HostConfig.Memory', 'memoryLimit', `memory ${memory} bytes is above this team's limit of ${limits.memoryBytes} bytes per container`);
  if (limits.requireMemoryLimit && memory <= 0) add('HostConfig.Memory', 'memoryRequired', 'this team must set a memory limit on every container');
  const nano = typeof hc.NanoCpus === 'number' ? hc.NanoCpus : 0;
  const quota = typeof hc.CpuQuota === 'number' ? hc.CpuQuota : 0;
  const period = typeof hc.CpuPeriod === 'number' && hc.CpuPeriod > 0 ? hc.CpuPeriod : 100_000;
  const cpus = Math.max(nano / 1e9, quota > 0 ? quota / period : 0);
  if (limits.cpus !== null && cpus > limits.cpus) add(nano ? 'HostConfig.NanoCpus' : 'HostConfig.CpuQuota', 'cpuLimit', `${cpus} CPUs is above this team's limit of ${limits.cpus} CPUs per container`);

  return out;
}

/** What the team runs now (containers labelled for it; memory = the sum of their limits). */
export interface TeamUsage {
  containers: number;
  memoryBytes: number;
}

/** What a request adds: containers and memory beyond `usage`, and the replica count of a deployment. */
export interface QuotaRequest {
  containers: number;
  memoryBytes: number;
  replicas?: number;
}

/** Quotas of the team against its usage plus the request. Pure; counting is PolicyService's. */
export function checkQuotas(policy: TeamPolicy, usage: TeamUsage, request: QuotaRequest): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  const { quotas } = policy;
  if (request.replicas !== undefined && quotas.replicasPerDeployment !== null && request.replicas > quotas.replicasPerDeployment) {
    out.push({ field: 'replicas', rule: 'maxReplicas', message: `replicas ${request.replicas} is above this team's quota of ${quotas.replicasPerDeployment} per deployment` });
  }
  if (request.containers > 0 && quotas.containers !== null && usage.containers + request.containers > quotas.containers) {
    out.push({ field: 'containers', rule: 'maxContainers', message: `this team has ${usage.containers} container(s); ${request.containers} more would exceed its quota of ${quotas.containers}` });
  }
  if (request.memoryBytes > 0 && quotas.totalMemoryBytes !== null && usage.memoryBytes + request.memoryBytes > quotas.totalMemoryBytes) {
    out.push({
      field: 'HostConfig.Memory',
      rule: 'totalMemory',
      message: `this team's containers already have ${usage.memoryBytes} bytes of memory; ${request.memoryBytes} more would exceed its quota of ${quotas.totalMemoryBytes} bytes`,
    });
  }
  return out;
}
