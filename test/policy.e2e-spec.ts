import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auth, startTestApp, TestApp } from './helpers/app';
import { removeTeamObjects } from './helpers/containers';
import { grantImage, waitOperation } from './helpers/deployments';
import { BUSYBOX_IMAGE, docker } from './helpers/docker';
import { StreamClient } from './helpers/stream';
import { createTeamToken, TeamToken } from './helpers/tokens';

const suite = randomBytes(3).toString('hex');
const GIB = 1024 ** 3;

/**
 * Each denied option as it is written in a POST /containers body and in a deployment spec, with
 * the field and rule the 403 must name. The team trying them has the default policy except a
 * narrowed host port range (30000–30999), set by the owner.
 */
const DENIED: { what: string; run: object; spec?: object; field: string; rule: string; runIsMalformed?: boolean }[] = [
  { what: 'privileged', run: { privileged: true }, field: 'HostConfig.Privileged', rule: 'privileged' },
  { what: 'host PID namespace', run: { pidMode: 'host' }, field: 'HostConfig.PidMode', rule: 'hostPid' },
  { what: 'host IPC namespace', run: { ipcMode: 'host' }, field: 'HostConfig.IpcMode', rule: 'hostIpc' },
  { what: 'host network', run: { networks: ['host'] }, field: 'HostConfig.NetworkMode', rule: 'hostNetwork' },
  { what: 'host UTS namespace', run: { utsMode: 'host' }, field: 'HostConfig.UTSMode', rule: 'hostUts' },
  { what: 'host user namespace', run: { usernsMode: 'host' }, field: 'HostConfig.UsernsMode', rule: 'hostUserns' },
  { what: 'a capability outside the default set', run: { capAdd: ['NET_BIND_SERVICE', 'SYS_ADMIN'] }, field: 'HostConfig.CapAdd.1', rule: 'capability' },
  { what: 'a host device', run: { devices: [{ hostPath: '/dev/fuse' }] }, field: 'HostConfig.Devices.0', rule: 'device' },
  { what: 'an unsafe sysctl', run: { sysctls: { 'kernel.msgmax': '65536' } }, field: 'HostConfig.Sysctls.kernel.msgmax', rule: 'unsafeSysctl' },
  { what: 'seccomp=unconfined', run: { securityOpt: ['no-new-privileges', 'seccomp=unconfined'] }, field: 'HostConfig.SecurityOpt.1', rule: 'seccompUnconfined' },
  { what: 'apparmor=unconfined', run: { securityOpt: ['apparmor=unconfined'] }, field: 'HostConfig.SecurityOpt.0', rule: 'apparmorUnconfined' },
  { what: 'a bind mount of a host path (Mounts, type bind)', run: { volumes: [{ type: 'bind', source: '/etc', target: '/host-etc', readOnly: true }] }, field: 'HostConfig.Mounts.0.Source', rule: 'hostPath' },
  // POST /containers refuses ".." in a bind source as malformed (400) before the policy; a deployment spec normalizes it and the policy refuses where it leads.
  { what: 'a bind mount with ".." tricks', run: { volumes: [{ type: 'bind', source: '/tmp/../etc', target: '/host-etc' }] }, field: 'HostConfig.Mounts.0.Source', rule: 'hostPath', runIsMalformed: true },
  { what: 'the Docker socket', run: { volumes: [{ type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock' }] }, field: 'HostConfig.Mounts.0.Source', rule: 'dockerSocket' },
  { what: 'a host port below 1024', run: { ports: [{ containerPort: 80, hostPort: 80 }] }, field: 'HostConfig.PortBindings.80/tcp.0.HostPort', rule: 'privilegedPort' },
  { what: "a host port outside the team's range", run: { ports: [{ containerPort: 80, hostPort: 20000 }] }, field: 'HostConfig.PortBindings.80/tcp.0.HostPort', rule: 'hostPortRange' },
  { what: 'memory above the per-container limit', run: { memoryBytes: 16 * GIB }, spec: { resources: { memoryBytes: 16 * GIB } }, field: 'HostConfig.Memory', rule: 'memoryLimit' },
  { what: 'CPU above the per-container limit', run: { cpus: 8 }, spec: { resources: { cpus: 8 } }, field: 'HostConfig.NanoCpus', rule: 'cpuLimit' },
];

describe('Container policy: one admission checkpoint for POST /containers, deployment replicas, migrate containers and exec (real engine)', () => {
  let t: TestApp;
  let team: TeamToken;
  let other: TeamToken;
  let quota: TeamToken;
  let hostDir: string;

  const as = (tk: TeamToken | string) => auth(typeof tk === 'string' ? tk : tk.token);
  const run = (tk: TeamToken, body: object) => t.http.post('/containers').set(as(tk)).send({ image: BUSYBOX_IMAGE, command: ['sleep', '300'], ...body });
  const base = (over: object = {}) => ({ image: BUSYBOX_IMAGE, command: ['sleep', '3600'], replicas: 1, strategy: { type: 'recreate', progressDeadlineSeconds: 60 }, ...over });
  const put = (tk: TeamToken, name: string, body: object) => t.http.put(`/deployments/${name}`).set(as(tk)).send(body);
  const setPolicy = (teamId: string, policy: object) => t.http.put(`/teams/${teamId}/policy`).set(as(t.token)).send(policy);
  const containersOf = async (teamId: string) => (await docker.listContainers({ all: true, filters: { label: [`io.berth.team=${teamId}`] } })).map((c) => c.Id).sort();
  const refused = (res: { status: number; body: any }, field: string, rule: string) => {
    expect([field, rule, res.status, res.body.code]).toEqual([field, rule, 403, 'FORBIDDEN']);
    expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule, message: expect.any(String) })]));
    expect(res.body.message).toContain(rule);
  };

  beforeAll(async () => {
    t = await startTestApp();
    team = await createTeamToken(t.databaseUrl, `policy-a-${suite}`, 'admin');
    other = await createTeamToken(t.databaseUrl, `policy-b-${suite}`, 'admin');
    quota = await createTeamToken(t.databaseUrl, `policy-q-${suite}`, 'deployer');
    for (const tk of [team, other, quota]) await grantImage(t.databaseUrl, tk.teamId, BUSYBOX_IMAGE);
    hostDir = mkdtempSync(join(tmpdir(), 'berth-policy-'));
    mkdirSync(join(hostDir, 'data'));
    expect((await setPolicy(team.teamId, { hostPorts: { min: 30000, max: 30999 } })).status).toBe(200);
  });

  afterAll(async () => {
    // The app first: a running reconciler would replace replicas removed under it.
    await t?.close();
    for (const tk of [team, other, quota]) if (tk) await removeTeamObjects(tk.teamId);
    if (hostDir) rmSync(hostDir, { recursive: true, force: true });
  });

  describe('GET and PUT /teams/:id/policy', () => {
    it('a team admin reads its own policy (defaults filled in), not another team’s; a deployer cannot; the owner reads any', async () => {
      const own = await t.http.get(`/teams/${other.teamId}/policy`).set(as(other));
      expect(own.status).toBe(200);
      expect(own.body).toEqual({
        teamId: other.teamId,
        team: `policy-b-${suite}`,
        policy: {
          allow: { privileged: false, hostPid: false, hostIpc: false, hostNetwork: false, hostUts: false, hostUserns: false, devices: false, unsafeSysctls: false, unconfined: false, privilegedPorts: false, capabilities: [] },
          bindMounts: [],
          hostPorts: { min: 1024, max: 65535 },
          limits: { memoryBytes: 8 * GIB, cpus: 4, requireMemoryLimit: false },
          quotas: { containers: 100, replicasPerDeployment: 20, totalMemoryBytes: 32 * GIB },
        },
      });
      expect((await t.http.get(`/teams/${team.teamId}/policy`).set(as(other))).status).toBe(404);
      expect((await t.http.get(`/teams/${other.teamId}/policy`).set(as(quota))).status).toBe(403);
      const byOwner = await t.http.get(`/teams/${team.teamId}/policy`).set(as(t.token));
      expect(byOwner.status).toBe(200);
      expect(byOwner.body.policy.hostPorts).toEqual({ min: 30000, max: 30999 });
      expect((await t.http.get('/teams/00000000-0000-4000-8000-000000000000/policy').set(as(t.token))).status).toBe(404);
      expect((await t.http.get('/teams/not-a-uuid/policy').set(as(t.token))).status).toBe(400);
    });

    it('only the owner writes it; unknown fields and malformed values are 400s naming the field; an unknown team is a 404', async () => {
      expect((await t.http.put(`/teams/${other.teamId}/policy`).set(as(other)).send({ allow: { privileged: true } })).status).toBe(403);
      const unknown = await setPolicy(other.teamId, { allow: { privileged: true, everything: true } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.details).toEqual([expect.objectContaining({ field: 'allow.everything', rule: 'forbidden' })]);
      const cases: [object, string][] = [
        [{ bindMounts: ['relative/path'] }, 'bindMounts'],
        [{ bindMounts: ['/srv/../etc'] }, 'bindMounts'],
        [{ hostPorts: { min: 0, max: 10 } }, 'hostPorts.min'],
        [{ hostPorts: { min: 3000, max: 2000 } }, 'hostPorts.min'],
        [{ allow: { capabilities: ['NOT A CAP'] } }, 'allow.capabilities'],
        [{ quotas: { containers: -1 } }, 'quotas.containers'],
        [{ limits: { cpus: 'four' } }, 'limits.cpus'],
        [{ allow: 'everything' }, 'allow'],
      ];
      for (const [body, field] of cases) {
        const res = await setPolicy(other.teamId, body);
        expect([field, res.status]).toEqual([field, 400]);
        expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      }
      expect((await setPolicy('00000000-0000-4000-8000-000000000000', {})).status).toBe(404);
      expect((await t.http.get(`/teams/${other.teamId}/policy`).set(as(other))).body.policy.allow.privileged).toBe(false);
    });
  });

  describe.each(DENIED)('$what', ({ run: fragment, spec, field, rule, runIsMalformed }) => {
    const name = `${rule.toLowerCase()}-${field.length}`.slice(0, 40);

    it('is refused through POST /containers with the rule named, and nothing is created', async () => {
      const before = await containersOf(team.teamId);
      const res = await run(team, fragment);
      if (runIsMalformed) expect([res.status, res.body.details]).toEqual([400, [expect.objectContaining({ field: 'volumes.0.source', rule: 'absolutePath' })]]);
      else refused(res, field, rule);
      expect(await containersOf(team.teamId)).toEqual(before);
    });

    it('is refused through a deployment spec (PUT and POST, dry run too): no deployment, no revision, no container', async () => {
      const before = await containersOf(team.teamId);
      refused(await put(team, name, base(spec ?? fragment)), field, rule);
      refused(await t.http.put(`/deployments/${name}?dryRun=true`).set(as(team)).send(base(spec ?? fragment)), field, rule);
      refused(await t.http.post('/deployments').set(as(team)).send({ name, ...base(spec ?? fragment) }), field, rule);
      expect((await t.http.get(`/deployments/${name}`).set(as(team))).status).toBe(404);
      expect(await containersOf(team.teamId)).toEqual(before);
    });

    it("is refused through a deployment's migrate step", async () => {
      const before = await containersOf(team.teamId);
      const res = await put(team, `${name}-m`.slice(0, 63), base({ ...(spec ?? fragment), replicas: 0, migrate: { command: ['true'] } }));
      refused(res, field, rule);
      expect((await t.http.get(`/deployments/${name}-m`.slice(0, 63)).set(as(team))).status).toBe(404);
      expect(await containersOf(team.teamId)).toEqual(before);
    });
  });

  it('every violated rule is named at once', async () => {
    const res = await run(team, { privileged: true, pidMode: 'host', capAdd: ['SYS_ADMIN'], volumes: [{ type: 'bind', source: '/', target: '/host' }], ports: [{ containerPort: 22, hostPort: 22 }] });
    expect(res.status).toBe(403);
    expect(res.body.details.map((d: { rule: string }) => d.rule)).toEqual(['privileged', 'hostPid', 'capability', 'dockerSocket', 'privilegedPort']);
  });

  it('malformed values of the same options stay 400s (the validator), not 403s', async () => {
    for (const body of [{ privileged: 'yes' }, { pidMode: 'container:abc' }, { capAdd: ['SYS ADMIN'] }, { securityOpt: ['seccomp'] }, { devices: [{ hostPath: 'fuse' }] }]) {
      const res = await run(team, body);
      expect([body, res.status]).toEqual([body, 400]);
      const dep = await put(team, 'malformed', base(body));
      expect([body, dep.status]).toEqual([body, 400]);
    }
  });

  it('a named volume is accepted, through POST /containers and a deployment (with a migrate step)', async () => {
    const volume = `policy-vol-${suite}`;
    const res = await run(team, { volumes: [{ type: 'volume', source: volume, target: '/data' }] });
    expect(res.status).toBe(201);
    expect(res.body.container.state.running).toBe(true);
    const dep = await put(team, 'with-volume', base({ volumes: [{ source: `${volume}-dep`, target: '/data' }], migrate: { command: ['sh', '-c', 'touch /data/migrated'] } }));
    expect(dep.status).toBe(202);
    expect((await waitOperation(t.url, team.token, dep.body.operation.id)).body.status).toBe('succeeded');
  });

  describe('an owner-granted host path prefix', () => {
    let granted: TeamToken;
    let containerId: string;

    beforeAll(async () => {
      granted = await createTeamToken(t.databaseUrl, `policy-g-${suite}`, 'admin');
      await grantImage(t.databaseUrl, granted.teamId, BUSYBOX_IMAGE);
      const res = await setPolicy(granted.teamId, { bindMounts: [`${hostDir}/`] });
      expect(res.status).toBe(200);
      expect(res.body.policy.bindMounts).toEqual([hostDir]);
    });
    afterAll(async () => {
      if (granted) await removeTeamObjects(granted.teamId);
    });

    it('is accepted for that team through POST /containers, and the mount really is there', async () => {
      const res = await t.http.post('/containers?wait=true').set(as(granted)).send({ image: BUSYBOX_IMAGE, command: ['sh', '-c', 'echo from-container > /mnt/out.txt && ls /mnt'], volumes: [{ type: 'bind', source: join(hostDir, 'data'), target: '/mnt' }] });
      expect(res.status).toBe(201);
      expect(res.body.exitCode).toBe(0);
      const started = await run(granted, { volumes: [{ type: 'bind', source: join(hostDir, 'data'), target: '/mnt', readOnly: true }] });
      expect(started.status).toBe(201);
      containerId = started.body.container.id;
    });

    it('is accepted for that team through a deployment spec with a migrate step', async () => {
      const res = await put(granted, 'bound', base({ volumes: [{ type: 'bind', source: hostDir, target: '/host' }], migrate: { command: ['ls', '/host/data'] } }));
      expect(res.status).toBe(202);
      expect((await waitOperation(t.url, granted.token, res.body.operation.id)).body.status).toBe('succeeded');
    });

    it('is still refused for every other team, and outside the prefix', async () => {
      refused(await run(other, { volumes: [{ type: 'bind', source: join(hostDir, 'data'), target: '/mnt' }] }), 'HostConfig.Mounts.0.Source', 'hostPath');
      refused(await put(other, 'bound', base({ volumes: [{ type: 'bind', source: hostDir, target: '/host' }] })), 'HostConfig.Mounts.0.Source', 'hostPath');
      refused(await run(granted, { volumes: [{ type: 'bind', source: `${hostDir}-sibling`, target: '/mnt' }] }), 'HostConfig.Mounts.0.Source', 'hostPath');
      refused(await put(granted, 'escape', base({ volumes: [{ type: 'bind', source: `${hostDir}/data/../../`, target: '/mnt' }] })), 'HostConfig.Mounts.0.Source', 'hostPath');
    });

    it('exec is admitted while the container passes the policy; once the owner takes the grant back, exec, migrate and scale are refused', async () => {
      const ok = await t.http.post(`/containers/${containerId}/exec`).set(as(granted)).send({ cmd: ['ls', '/mnt'] });
      expect(ok.status).toBe(200);
      expect(ok.body.stdout).toContain('out.txt');

      expect((await setPolicy(granted.teamId, {})).status).toBe(200);
      refused(await t.http.post(`/containers/${containerId}/exec`).set(as(granted)).send({ cmd: ['ls', '/mnt'] }), 'HostConfig.Mounts.0.Source', 'hostPath');
      const ws = await StreamClient.ready(t.url, granted.token);
      try {
        expect(await ws.request({ type: 'exec.start', session: 's', container: containerId, cmd: ['ls'] }, 'exec.started')).toMatchObject({ type: 'error', code: 'FORBIDDEN', session: 's' });
      } finally {
        await ws.close();
      }

      const ops = (await t.http.get('/deployments/bound/operations').set(as(granted))).body.length;
      refused(await t.http.post('/deployments/bound/migrate').set(as(granted)).send({}), 'HostConfig.Mounts.0.Source', 'hostPath');
      refused(await t.http.post('/deployments/bound/scale').set(as(granted)).send({ replicas: 2 }), 'HostConfig.Mounts.0.Source', 'hostPath');
      expect((await t.http.get('/deployments/bound/operations').set(as(granted))).body.length).toBe(ops);
    });
  });

  it('each switch the owner turns on is usable by that team (here: an extra capability and host ports below 1024), and only by it', async () => {
    expect((await setPolicy(other.teamId, { allow: { capabilities: ['cap_net_admin'], privilegedPorts: true }, hostPorts: { min: 1, max: 65535 } })).status).toBe(200);
    const res = await t.http.post('/containers?wait=true').set(as(other)).send({ image: BUSYBOX_IMAGE, command: ['ip', 'link', 'set', 'lo', 'mtu', '1400'], capAdd: ['NET_ADMIN'] });
    expect(res.status).toBe(201);
    expect(res.body.exitCode).toBe(0);
    refused(await run(team, { capAdd: ['NET_ADMIN'] }), 'HostConfig.CapAdd.0', 'capability');
  });

  it('owner tokens are not subject to the switches', async () => {
    const res = await t.http.post('/containers?wait=true').set(as(t.token)).send({ image: BUSYBOX_IMAGE, command: ['true'], capAdd: ['SYS_TIME'], volumes: [{ type: 'bind', source: '/etc', target: '/host-etc', readOnly: true }], autoRemove: true });
    expect(res.status).toBe(201);
  });

  it('quotas: replicas per deployment at apply and scale, containers of the team, total memory', async () => {
    expect((await setPolicy(quota.teamId, { quotas: { containers: 2, replicasPerDeployment: 2, totalMemoryBytes: 100 * 1024 * 1024 } })).status).toBe(200);
    refused(await put(quota, 'web', base({ replicas: 3, strategy: undefined })), 'replicas', 'maxReplicas');
    expect((await t.http.get('/deployments/web').set(as(quota))).status).toBe(404);

    const res = await put(quota, 'web', base({ replicas: 2, strategy: undefined, resources: { memoryBytes: 40 * 1024 * 1024 } }));
    expect(res.status).toBe(202);
    expect((await waitOperation(t.url, quota.token, res.body.operation.id)).body.status).toBe('succeeded');
    expect(await containersOf(quota.teamId)).toHaveLength(2);

    refused(await t.http.post('/deployments/web/scale').set(as(quota)).send({ replicas: 3 }), 'replicas', 'maxReplicas');
    const full = await run(quota, { memoryBytes: 64 * 1024 * 1024 });
    refused(full, 'containers', 'maxContainers');
    refused(full, 'HostConfig.Memory', 'totalMemory');
    refused(await put(quota, 'second', base()), 'containers', 'maxContainers');
    // A new revision of the deployment itself does not count its own replicas twice, even while it surges.
    const update = await put(quota, 'web', base({ replicas: 2, strategy: undefined, resources: { memoryBytes: 40 * 1024 * 1024 }, env: { V: '2' } }));
    expect(update.status).toBe(202);
    expect((await waitOperation(t.url, quota.token, update.body.operation.id)).body.status).toBe('succeeded');
    expect(await containersOf(quota.teamId)).toHaveLength(2);
  });
});
