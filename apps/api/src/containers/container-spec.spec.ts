import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { flattenValidationErrors } from '../common/validation';
import { engineCreateBody, normalizeRunSpec, redactSpec } from './container-spec';
import { ContainerRunDto } from './dto/container-run.dto';
import { toEngineTime } from './log-time';
import { normalizeSignal } from './signals';

const dto = (body: object) => plainToInstance(ContainerRunDto, body);
const problems = (body: object) => flattenValidationErrors(validateSync(dto(body), { whitelist: true, forbidNonWhitelisted: true }));

describe('ContainerRunDto validation', () => {
  it('names the field and rule for env keys, reserved labels, ports, paths and names', () => {
    expect(problems({ image: 'x', env: { '1BAD': 'v' } })).toEqual([expect.objectContaining({ field: 'env', rule: 'envKey', message: expect.stringContaining('"1BAD"') })]);
    expect(problems({ image: 'x', labels: { 'io.berth.team': 'other' } })).toEqual([expect.objectContaining({ field: 'labels', rule: 'labelKey', message: expect.stringContaining('reserved') })]);
    expect(problems({ image: 'x', ports: [{ containerPort: 70000 }] })).toEqual([expect.objectContaining({ field: 'ports.0.containerPort', rule: 'max' })]);
    expect(problems({ image: 'x', volumes: [{ type: 'bind', source: '/srv', target: 'relative' }] })).toEqual([expect.objectContaining({ field: 'volumes.0.target', rule: 'matches' })]);
    expect(problems({ image: 'x', volumes: [{ type: 'bind', source: '/srv', target: '/a/../etc' }] })).toEqual([expect.objectContaining({ field: 'volumes.0.target' })]);
    expect(problems({ image: 'x', name: '-leading-dash' })).toEqual([expect.objectContaining({ field: 'name', rule: 'matches' })]);
    expect(problems({ image: 'x', ports: [{ containerPort: 80, hostIp: 'localhost' }] })).toEqual([expect.objectContaining({ field: 'ports.0.hostIp', rule: 'isIp' })]);
    expect(problems({ image: 'x', hostConfig: { Privileged: true } })).toEqual([expect.objectContaining({ field: 'hostConfig', rule: 'forbidden' })]);
  });

  it('host-level options are fields (the container policy, not the validator, decides whether the team may use them), and malformed ones are 400s', () => {
    const host = { privileged: true, pidMode: 'host', ipcMode: 'host', utsMode: 'host', usernsMode: 'host', capAdd: ['SYS_ADMIN'], capDrop: ['NET_RAW'], devices: [{ hostPath: '/dev/fuse' }], sysctls: { 'kernel.msgmax': '65536' }, securityOpt: ['seccomp=unconfined', 'apparmor=unconfined', 'label=disable', 'no-new-privileges'] };
    expect(problems({ image: 'x', ...host })).toEqual([]);
    expect(problems({ image: 'x', pidMode: 'container:abc' })).toEqual([expect.objectContaining({ field: 'pidMode', rule: 'isIn' })]);
    expect(problems({ image: 'x', capAdd: ['NET ADMIN'] })).toEqual([expect.objectContaining({ field: 'capAdd', rule: 'matches' })]);
    expect(problems({ image: 'x', devices: [{ hostPath: 'dev/fuse' }] })).toEqual([expect.objectContaining({ field: 'devices.0.hostPath', rule: 'matches' })]);
    expect(problems({ image: 'x', devices: [{ hostPath: '/dev/fuse', permissions: 'rx' }] })).toEqual([expect.objectContaining({ field: 'devices.0.permissions', rule: 'matches' })]);
    expect(problems({ image: 'x', sysctls: { 'not a sysctl': '1' } })).toEqual([expect.objectContaining({ field: 'sysctls', rule: 'sysctlKey' })]);
    expect(problems({ image: 'x', securityOpt: ['seccomp'] })).toEqual([expect.objectContaining({ field: 'securityOpt', rule: 'matches' })]);
    expect(problems({ image: 'x', privileged: 'yes' })).toEqual([expect.objectContaining({ field: 'privileged', rule: 'isBoolean' })]);
    const body = engineCreateBody(normalizeRunSpec(dto({ image: 'x', ...host, networks: ['host'] })), 'x', {});
    expect(body.HostConfig).toMatchObject({
      Privileged: true,
      PidMode: 'host',
      IpcMode: 'host',
      UTSMode: 'host',
      UsernsMode: 'host',
      NetworkMode: 'host',
      CapAdd: ['SYS_ADMIN'],
      CapDrop: ['NET_RAW'],
      Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }],
      Sysctls: { 'kernel.msgmax': '65536' },
      SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined', 'label=disable', 'no-new-privileges'],
    });
    const plain = engineCreateBody(normalizeRunSpec(dto({ image: 'x' })), 'x', {}).HostConfig as Record<string, unknown>;
    for (const key of ['Privileged', 'PidMode', 'IpcMode', 'CapAdd', 'Devices', 'Sysctls', 'SecurityOpt']) expect([key, plain[key]]).toEqual([key, undefined]);
  });

  it('accepts a full docker run description', () => {
    expect(
      problems({
        image: '127.0.0.1:5000/team/app:1',
        name: 'web-1',
        command: ['httpd', '-f'],
        env: { A_B: '1' },
        workingDir: '/srv',
        user: '1000:1000',
        ports: [{ containerPort: 8080 }],
        volumes: [{ type: 'volume', source: 'data', target: '/data' }],
        restartPolicy: { name: 'on-failure', maximumRetryCount: 3 },
        memoryBytes: 64 * 1024 * 1024,
        cpus: 0.5,
        healthcheck: { test: ['CMD', 'true'], intervalSeconds: 5 },
        labels: { 'com.example.a': 'b' },
        pull: 'never',
      }),
    ).toEqual([]);
  });
});

describe('normalizeRunSpec', () => {
  it('applies the defaults: loopback publishing, tcp, bridge, no restart, pull if missing', () => {
    const spec = normalizeRunSpec(dto({ image: 'app', ports: [{ containerPort: 80 }] }));
    expect(spec).toMatchObject({ image: 'app', ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '127.0.0.1' }], networks: ['bridge'], restartPolicy: { name: 'no', maximumRetryCount: 0 }, pull: 'missing', autoRemove: false, tty: false });
  });

  it('normalizes bind sources and refuses relative ones, duplicate targets and / as a target', () => {
    expect(normalizeRunSpec(dto({ image: 'a', volumes: [{ type: 'bind', source: '/srv//data/', target: '/data/' }] })).mounts).toEqual([{ type: 'bind', source: '/srv/data', target: '/data', readOnly: false }]);
    expect(() => normalizeRunSpec(dto({ image: 'a', volumes: [{ type: 'bind', source: 'srv', target: '/d' }] }))).toThrow(/absolute host path/);
    expect(() => normalizeRunSpec(dto({ image: 'a', volumes: [{ type: 'volume', source: 'v', target: '/d' }, { type: 'volume', source: 'w', target: '/d/' }] }))).toThrow(/already mounted/);
    expect(() => normalizeRunSpec(dto({ image: 'a', volumes: [{ type: 'volume', source: '../x', target: '/d' }] }))).toThrow(/volume name/);
  });

  it('refuses conflicting options with the field and rule', () => {
    try {
      normalizeRunSpec(dto({ image: 'a', autoRemove: true, restartPolicy: { name: 'always' } }));
      throw new Error('no error');
    } catch (err) {
      expect(err).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'autoRemove', rule: 'conflict', message: expect.any(String) }] });
    }
    expect(() => normalizeRunSpec(dto({ image: 'a', networks: ['host', 'bridge'] }))).toThrow(/cannot be combined/);
    expect(() => normalizeRunSpec(dto({ image: 'a', healthcheck: { test: ['wget', 'x'] } }))).toThrow(/CMD, CMD-SHELL or NONE/);
    expect(() => normalizeRunSpec(dto({ image: 'a', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81, hostPort: 8080 }] }))).toThrow(/twice/);
  });

  it('hides environment values in what is recorded', () => {
    expect(redactSpec(normalizeRunSpec(dto({ image: 'a', env: { TOKEN: 'secret' } }))).env).toEqual({ TOKEN: '***' });
  });
});

describe('engineCreateBody', () => {
  it('builds the engine body: exposed ports, bindings, mounts with team-labelled volumes, limits, labels', () => {
    const spec = normalizeRunSpec(
      dto({
        image: 'app',
        env: { A: '1' },
        ports: [{ containerPort: 8080 }, { containerPort: 8080, hostIp: '::1', hostPort: 9000 }],
        volumes: [{ type: 'volume', source: 'data', target: '/data', readOnly: true }],
        memoryBytes: 64 * 1024 * 1024,
        cpus: 1.5,
        healthcheck: { test: ['CMD', 'true'], intervalSeconds: 2 },
        labels: { a: 'b' },
        autoRemove: true,
      }),
    );
    const body = engineCreateBody(spec, 'app:latest', { 'io.berth.managed': 'true', 'io.berth.team': 't1', 'io.berth.operation': 'op' });
    expect(body).toMatchObject({
      Image: 'app:latest',
      Env: ['A=1'],
      Labels: { a: 'b', 'io.berth.managed': 'true', 'io.berth.team': 't1', 'io.berth.operation': 'op' },
      ExposedPorts: { '8080/tcp': {} },
      Healthcheck: { Test: ['CMD', 'true'], Interval: 2_000_000_000 },
      HostConfig: {
        PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }, { HostIp: '::1', HostPort: '9000' }] },
        Mounts: [{ Type: 'volume', Source: 'data', Target: '/data', ReadOnly: true, VolumeOptions: { Labels: { 'io.berth.managed': 'true', 'io.berth.team': 't1' } } }],
        NetworkMode: 'bridge',
        RestartPolicy: { Name: '', MaximumRetryCount: 0 },
        Memory: 64 * 1024 * 1024,
        NanoCpus: 1_500_000_000,
        AutoRemove: true,
      },
    });
    expect(engineCreateBody(spec, 'app', {}, { keepAfterExit: true }).HostConfig.AutoRemove).toBe(false);
  });
});

describe('helpers', () => {
  it('converts since/until without losing nanoseconds', () => {
    expect(toEngineTime('1700000000')).toBe('1700000000');
    expect(toEngineTime('1700000000.5')).toBe('1700000000.5');
    expect(toEngineTime('2023-11-14T22:13:20.123456789Z')).toBe('1700000000.123456789');
    expect(toEngineTime('2023-11-14T23:13:20.1+01:00')).toBe('1700000000.100000000');
    expect(toEngineTime('2023-02-30T00:00:00Z')).toBeDefined();
    expect(toEngineTime('yesterday')).toBeUndefined();
  });

  it('normalizes signal names and numbers, and refuses unknown ones', () => {
    expect(normalizeSignal('term')).toBe('SIGTERM');
    expect(normalizeSignal('SIGKILL')).toBe('SIGKILL');
    expect(normalizeSignal('9')).toBe('9');
    expect(normalizeSignal('SIGRTMIN+3')).toBe('SIGRTMIN+3');
    expect(normalizeSignal('SIGFOO')).toBeUndefined();
    expect(normalizeSignal('99')).toBeUndefined();
    expect(normalizeSignal('TERM; rm -rf /')).toBeUndefined();
  });
});
