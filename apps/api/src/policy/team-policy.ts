/**
 * A team's container policy as stored in `teams.policy` (JSON) and served by /teams/:id/policy.
 * Every switch is off and every limit is at its default unless the owner set it; the stored JSON
 * holds only what the owner wrote, `effectivePolicy` fills in the rest. See docs/access-control.md.
 */
export interface TeamPolicy {
  /** Options a non-owner team may use only when the owner turned them on. */
  allow: {
    privileged: boolean;
    /** HostConfig.PidMode = host */
    hostPid: boolean;
    /** HostConfig.IpcMode = host */
    hostIpc: boolean;
    /** HostConfig.NetworkMode = host (networks: ["host"]) */
    hostNetwork: boolean;
    /** HostConfig.UTSMode = host */
    hostUts: boolean;
    /** HostConfig.UsernsMode = host */
    hostUserns: boolean;
    /** Host devices (HostConfig.Devices) */
    devices: boolean;
    /** Sysctls outside the safe namespaced set (SAFE_SYSCTLS) */
    unsafeSysctls: boolean;
    /** seccomp=unconfined or a custom seccomp profile, apparmor=unconfined, label=disable / SELinux labels, systempaths=unconfined */
    unconfined: boolean;
    /** Host ports below 1024 */
    privilegedPorts: boolean;
    /** Capabilities allowed in CapAdd besides DEFAULT_CAPABILITIES (e.g. "NET_ADMIN"); "ALL" allows any */
    capabilities: string[];
  };
  /** Host path prefixes a team may bind-mount (segment-wise: /srv/a allows /srv/a and /srv/a/x, not /srv/ab). The Docker socket never. */
  bindMounts: string[];
  /** Host ports a team may publish on (inclusive); ports below 1024 need allow.privilegedPorts as well. */
  hostPorts: { min: number; max: number };
  /** Per container. null = no limit. */
  limits: { memoryBytes: number | null; cpus: number | null; requireMemoryLimit: boolean };
  /** Per team / per deployment. null = no quota. */
  quotas: { containers: number | null; replicasPerDeployment: number | null; totalMemoryBytes: number | null };
}

const GIB = 1024 * 1024 * 1024;

/** What a team gets when the owner has set nothing. */
export const DEFAULT_POLICY: TeamPolicy = Object.freeze({
  allow: {
    privileged: false,
    hostPid: false,
    hostIpc: false,
    hostNetwork: false,
    hostUts: false,
    hostUserns: false,
    devices: false,
    unsafeSysctls: false,
    unconfined: false,
    privilegedPorts: false,
    capabilities: [],
  },
  bindMounts: [],
  hostPorts: { min: 1024, max: 65535 },
  limits: { memoryBytes: 8 * GIB, cpus: 4, requireMemoryLimit: false },
  quotas: { containers: 100, replicasPerDeployment: 20, totalMemoryBytes: 32 * GIB },
}) as TeamPolicy;

/**
 * Docker's default capability set: what every container has anyway, so adding one of these is
 * harmless and always allowed.
 */
export const DEFAULT_CAPABILITIES: ReadonlySet<string> = new Set([
  'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'NET_BIND_SERVICE', 'NET_RAW', 'SYS_CHROOT', 'MKNOD', 'AUDIT_WRITE', 'SETFCAP',
]);

/**
 * Sysctls that are namespaced per container and cannot affect the host or other containers (the
 * Kubernetes "safe" set). Anything else needs allow.unsafeSysctls.
 */
export const SAFE_SYSCTLS: ReadonlySet<string> = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ping_group_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_fin_timeout',
]);

/** The Docker socket's usual paths: never bind-mountable by a non-owner, whatever the prefixes say. */
export const DOCKER_SOCKETS: readonly string[] = ['/var/run/docker.sock', '/run/docker.sock'];

/** "CAP_NET_ADMIN", "net_admin" → "NET_ADMIN". */
export const normalizeCapability = (cap: string): string => cap.trim().toUpperCase().replace(/^CAP_/, '');

type Stored = { [K in keyof TeamPolicy]?: TeamPolicy[K] extends unknown[] ? TeamPolicy[K] : Partial<TeamPolicy[K]> | TeamPolicy[K] };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The stored JSON (possibly `{}` or from an older version) with every default filled in. */
export function effectivePolicy(stored: unknown): TeamPolicy {
  const s = (isObject(stored) ? stored : {}) as Stored;
  const pick = <T extends object>(defaults: T, value: unknown, nullable = false): T => {
    const out = { ...defaults };
    if (!isObject(value)) return out;
    for (const key of Object.keys(defaults) as (keyof T)[]) {
      const v = value[key as string];
      const d = defaults[key];
      const fits = Array.isArray(d) ? Array.isArray(v) : (v === null && nullable) || (v !== null && typeof v === (d === null ? 'number' : typeof d));
      if (v !== undefined && fits) out[key] = v as T[keyof T];
    }
    return out;
  };
  const allow = pick(DEFAULT_POLICY.allow, s.allow);
  return {
    allow: { ...allow, capabilities: [...new Set((allow.capabilities ?? []).filter((c) => typeof c === 'string').map(normalizeCapability))] },
    bindMounts: Array.isArray(s.bindMounts) ? s.bindMounts.filter((p): p is string => typeof p === 'string') : [],
    hostPorts: pick(DEFAULT_POLICY.hostPorts, s.hostPorts),
    limits: pick(DEFAULT_POLICY.limits, s.limits, true),
    quotas: pick(DEFAULT_POLICY.quotas, s.quotas, true),
  };
}
