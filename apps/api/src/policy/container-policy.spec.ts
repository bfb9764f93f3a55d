import { checkContainerPolicy, checkQuotas, isWithin, normalizeHostPath } from './container-policy';
import { DEFAULT_POLICY, effectivePolicy, TeamPolicy } from './team-policy';

const policy = (over: Partial<Omit<TeamPolicy, 'allow'>> & { allow?: Partial<TeamPolicy['allow']> } = {}): TeamPolicy =>
  effectivePolicy({ ...over, allow: { ...over.allow } });
const check = (HostConfig: Record<string, unknown>, p: TeamPolicy = DEFAULT_POLICY, resolvePath?: (path: string) => string | undefined) =>
  checkContainerPolicy({ HostConfig }, p, { resolvePath });
const rules = (HostConfig: Record<string, unknown>, p?: TeamPolicy, resolvePath?: (path: string) => string | undefined) => check(HostConfig, p, resolvePath).map((v) => `${v.field}:${v.rule}`);

describe('container policy (pure)', () => {
  it('lets an ordinary container through: bridge network, named volume, high or ephemeral ports, limits within defaults', () => {
    expect(
      check({
        NetworkMode: 'bridge',
        IpcMode: 'private',
        PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }], '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '18080' }] },
        Mounts: [{ Type: 'volume', Source: 'data', Target: '/data' }, { Type: 'tmpfs', Target: '/tmp' }],
        Binds: ['named-volume:/cache'],
        CapAdd: ['NET_BIND_SERVICE', 'cap_chown'],
        CapDrop: ['ALL'],
        Sysctls: { 'net.ipv4.ip_local_port_range': '1024 65000' },
        SecurityOpt: ['no-new-privileges', 'apparmor=docker-default'],
        Memory: 256 * 1024 * 1024,
        NanoCpus: 500_000_000,
      }),
    ).toEqual([]);
  });

  it('names every refused switch with its field and rule', () => {
    expect(
      rules({
        Privileged: true,
        PidMode: 'host',
        IpcMode: 'host',
        NetworkMode: 'host',
        UTSMode: 'host',
        UsernsMode: 'host',
        CapAdd: ['SYS_ADMIN', 'CAP_NET_ADMIN', 'ALL'],
        Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }],
        Sysctls: { 'kernel.msgmax': '65536', 'net.ipv4.ip_forward': '1' },
        SecurityOpt: ['seccomp=unconfined', 'apparmor:unconfined', 'label=disable', 'label=type:spc_t', 'systempaths=unconfined', 'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'],
      }),
    ).toEqual([
      'HostConfig.Privileged:privileged',
      'HostConfig.PidMode:hostPid',
      'HostConfig.IpcMode:hostIpc',
      'HostConfig.NetworkMode:hostNetwork',
      'HostConfig.UTSMode:hostUts',
      'HostConfig.UsernsMode:hostUserns',
      'HostConfig.CapAdd.0:capability',
      'HostConfig.CapAdd.1:capability',
      'HostConfig.CapAdd.2:capability',
      'HostConfig.Devices.0:device',
      'HostConfig.Sysctls.kernel.msgmax:unsafeSysctl',
      'HostConfig.Sysctls.net.ipv4.ip_forward:unsafeSysctl',
      'HostConfig.SecurityOpt.0:seccompUnconfined',
      'HostConfig.SecurityOpt.1:apparmorUnconfined',
      'HostConfig.SecurityOpt.2:labelDisabled',
      'HostConfig.SecurityOpt.3:selinuxLabel',
      'HostConfig.SecurityOpt.4:systempathsUnconfined',
      'HostConfig.SecurityOpt.5:seccompProfile',
    ]);
  });

  it('each switch, once the owner turns it on, lets exactly that option through', () => {
    const all = {
      Privileged: true,
      PidMode: 'host',
      IpcMode: 'host',
      NetworkMode: 'host',
      UTSMode: 'host',
      UsernsMode: 'host',
      Devices: [{ PathOnHost: '/dev/fuse' }],
      Sysctls: { 'kernel.msgmax': '65536' },
      SecurityOpt: ['seccomp=unconfined'],
      CapAdd: ['SYS_ADMIN'],
    };
    const allowed = policy({
      allow: { privileged: true, hostPid: true, hostIpc: true, hostNetwork: true, hostUts: true, hostUserns: true, devices: true, unsafeSysctls: true, unconfined: true, capabilities: ['cap_sys_admin'] },
    });
    expect(check(all, allowed)).toEqual([]);
    expect(rules(all, policy({ allow: { privileged: true } }))).not.toContain('HostConfig.Privileged:privileged');
    expect(rules(all, policy({ allow: { privileged: true } }))).toContain('HostConfig.PidMode:hostPid');
    expect(rules({ CapAdd: ['NET_ADMIN', 'SYS_TIME'] }, policy({ allow: { capabilities: ['ALL'] } }))).toEqual([]);
  });

  it('joining another container\'s namespaces and other unexpressible escapes are refused', () => {
    expect(rules({ NetworkMode: 'container:abc', PidMode: 'container:abc', VolumesFrom: ['other'], VolumeDriver: 'local', CgroupParent: '/x', MaskedPaths: [], DeviceRequests: [{ Count: -1 }] })).toEqual([
      'HostConfig.PidMode:sharedNamespace',
      'HostConfig.NetworkMode:sharedNamespace',
      'HostConfig.DeviceRequests.0:device',
      'HostConfig.MaskedPaths:systempathsUnconfined',
      'HostConfig.VolumeDriver:volumeDriver',
      'HostConfig.VolumesFrom:volumesFrom',
      'HostConfig.CgroupParent:cgroupParent',
    ]);
    expect(rules({ Mounts: [{ Type: 'volume', Source: 'x', Target: '/x', VolumeOptions: { DriverConfig: { Name: 'local', Options: { type: 'none', o: 'bind', device: '/etc' } } } }] })).toEqual([
      'HostConfig.Mounts.0.VolumeOptions.DriverConfig:volumeDriver',
    ]);
    expect(rules({ Mounts: [{ Type: 'npipe', Source: 'x', Target: '/x' }] })).toEqual(['HostConfig.Mounts.0.Type:mountType']);
  });

  describe('bind mounts, in Binds and in Mounts', () => {
    const granted = policy({ bindMounts: ['/srv/team-a/'] });

    it('are refused without a granted prefix, in both forms', () => {
      expect(rules({ Binds: ['/etc:/host-etc:ro'], Mounts: [{ Type: 'bind', Source: '/etc', Target: '/x' }] })).toEqual(['HostConfig.Binds.0:hostPath', 'HostConfig.Mounts.0.Source:hostPath']);
    });

    it('are allowed below a granted prefix, segment-wise', () => {
      expect(rules({ Binds: ['/srv/team-a:/data', '/srv/team-a/sub/dir:/sub'], Mounts: [{ Type: 'bind', Source: '/srv/team-a/x/', Target: '/x' }] }, granted)).toEqual([]);
      expect(rules({ Binds: ['/srv/team-ab:/data'], Mounts: [{ Type: 'bind', Source: '/srv/team', Target: '/x' }] }, granted)).toEqual(['HostConfig.Binds.0:hostPath', 'HostConfig.Mounts.0.Source:hostPath']);
    });

    it('see through ".." and repeated slashes', () => {
      expect(rules({ Binds: ['/srv/team-a/../../etc:/x'], Mounts: [{ Type: 'bind', Source: '/srv//team-a/./../team-b', Target: '/x' }] }, granted)).toEqual(['HostConfig.Binds.0:hostPath', 'HostConfig.Mounts.0.Source:hostPath']);
      expect(normalizeHostPath('/srv//team-a/./x/../y/')).toBe('/srv/team-a/y');
    });

    it('check where a symlink really points, when the path can be resolved here', () => {
      const resolve = (p: string) => (p === '/srv/team-a/root' ? '/' : p === '/srv/team-a/ok' ? '/srv/team-a/real' : undefined);
      expect(rules({ Mounts: [{ Type: 'bind', Source: '/srv/team-a/root', Target: '/x' }] }, granted, resolve)).toEqual(['HostConfig.Mounts.0.Source:dockerSocket']);
      expect(rules({ Mounts: [{ Type: 'bind', Source: '/srv/team-a/ok', Target: '/x' }] }, granted, resolve)).toEqual([]);
      const etc = (p: string) => (p === '/srv/team-a/etc' ? '/etc' : undefined);
      expect(check({ Mounts: [{ Type: 'bind', Source: '/srv/team-a/etc', Target: '/x' }] }, granted, etc)).toEqual([
        expect.objectContaining({ field: 'HostConfig.Mounts.0.Source', rule: 'hostPath', message: expect.stringContaining('/etc') }),
      ]);
    });

    it('never the Docker socket or a directory holding it, whatever the prefixes', () => {
      const everything = policy({ bindMounts: ['/'] });
      for (const source of ['/var/run/docker.sock', '/run/docker.sock', '/var/run', '/run', '/', '/var/run/../run/docker.sock']) {
        expect([source, rules({ Binds: [`${source}:/s`] }, everything)]).toEqual([source, ['HostConfig.Binds.0:dockerSocket']]);
      }
      expect(rules({ Mounts: [{ Type: 'bind', Source: '/custom/engine.sock', Target: '/s' }] }, everything)).toEqual([]);
      expect(checkContainerPolicy({ HostConfig: { Mounts: [{ Type: 'bind', Source: '/custom/engine.sock', Target: '/s' }] } }, everything, { dockerSockets: ['/custom/engine.sock'] })).toEqual([
        expect.objectContaining({ rule: 'dockerSocket' }),
      ]);
      expect(rules({ Binds: ['/var/lib:/s'] }, everything)).toEqual([]);
    });

    it('a relative bind source is refused, a named volume in Binds is not a bind', () => {
      expect(rules({ Binds: ['data:/data', './here:/x'] })).toEqual(['HostConfig.Binds.1:hostPath']);
    });
  });

  it('host ports: below 1024 needs privilegedPorts, and every port must be in the team range; ephemeral ports always pass', () => {
    const ports = (HostPort: string) => ({ PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort }] } });
    expect(rules(ports('80'))).toEqual(['HostConfig.PortBindings.80/tcp.0.HostPort:privilegedPort']);
    expect(rules(ports('80'), policy({ allow: { privilegedPorts: true } }))).toEqual(['HostConfig.PortBindings.80/tcp.0.HostPort:hostPortRange']);
    expect(rules(ports('80'), policy({ allow: { privilegedPorts: true }, hostPorts: { min: 1, max: 65535 } }))).toEqual([]);
    expect(rules(ports('20000'), policy({ hostPorts: { min: 30000, max: 31000 } }))).toEqual(['HostConfig.PortBindings.80/tcp.0.HostPort:hostPortRange']);
    expect(rules(ports('30000-31001'), policy({ hostPorts: { min: 30000, max: 31000 } }))).toEqual(['HostConfig.PortBindings.80/tcp.0.HostPort:hostPortRange']);
    expect(rules(ports('30000-30010'), policy({ hostPorts: { min: 30000, max: 31000 } }))).toEqual([]);
    expect(rules(ports(''))).toEqual([]);
    expect(rules(ports('0'))).toEqual([]);
  });

  it('memory and CPU per container against the team limits', () => {
    const limits = policy({ limits: { memoryBytes: 100, cpus: 1, requireMemoryLimit: true } });
    expect(rules({ Memory: 101, NanoCpus: 1_500_000_000 }, limits)).toEqual(['HostConfig.Memory:memoryLimit', 'HostConfig.NanoCpus:cpuLimit']);
    expect(rules({ Memory: 100, NanoCpus: 1_000_000_000 }, limits)).toEqual([]);
    expect(rules({}, limits)).toEqual(['HostConfig.Memory:memoryRequired']);
    expect(rules({ CpuQuota: 300_000, CpuPeriod: 100_000, Memory: 50 }, limits)).toEqual(['HostConfig.CpuQuota:cpuLimit']);
    expect(rules({ Memory: 64 * 1024 ** 3 }, policy({ limits: { memoryBytes: null, cpus: null, requireMemoryLimit: false } }))).toEqual([]);
  });

  it('quotas: containers of the team, replicas per deployment, total memory', () => {
    const p = policy({ quotas: { containers: 3, replicasPerDeployment: 2, totalMemoryBytes: 1000 } });
    expect(checkQuotas(p, { containers: 2, memoryBytes: 0 }, { containers: 1, memoryBytes: 0 })).toEqual([]);
    expect(checkQuotas(p, { containers: 3, memoryBytes: 0 }, { containers: 1, memoryBytes: 0 }).map((v) => v.rule)).toEqual(['maxContainers']);
    expect(checkQuotas(p, { containers: 0, memoryBytes: 900 }, { containers: 3, memoryBytes: 300, replicas: 3 }).map((v) => v.rule)).toEqual(['maxReplicas', 'totalMemory']);
    expect(checkQuotas(policy({ quotas: { containers: null, replicasPerDeployment: null, totalMemoryBytes: null } }), { containers: 1e6, memoryBytes: 1e12 }, { containers: 50, memoryBytes: 1e12, replicas: 99 })).toEqual([]);
  });

  it('effectivePolicy fills defaults and ignores junk in the stored JSON', () => {
    expect(effectivePolicy({})).toEqual(DEFAULT_POLICY);
    expect(effectivePolicy(null)).toEqual(DEFAULT_POLICY);
    const p = effectivePolicy({ allow: { privileged: 'yes', hostPid: true, capabilities: ['net_admin', 7] }, bindMounts: ['/srv', 3], hostPorts: { min: 2000 }, limits: { memoryBytes: null }, quotas: { containers: null, replicasPerDeployment: 'x' } });
    expect(p.allow).toMatchObject({ privileged: false, hostPid: true, capabilities: ['NET_ADMIN'] });
    expect(p.bindMounts).toEqual(['/srv']);
    expect(p.hostPorts).toEqual({ min: 2000, max: 65535 });
    expect(p.limits.memoryBytes).toBeNull();
    expect(p.quotas).toEqual({ ...DEFAULT_POLICY.quotas, containers: null });
    expect(isWithin('/srv/a/b', '/srv/a/')).toBe(true);
    expect(isWithin('/srv/ab', '/srv/a')).toBe(false);
  });
});
