import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createServer, Server } from 'node:net';
import { auth, startTestApp, TestApp } from './helpers/app';
import { BusyboxRegistry, removeLocalTag, removeTeamObjects, startBusyboxRegistry } from './helpers/containers';
import { docker, imageExists } from './helpers/docker';
import { createTeamToken, defaultTeamId, TeamToken } from './helpers/tokens';
import { waitFor } from './helpers/wait';

const suite = randomBytes(4).toString('hex');

describe('Containers: docker run, ps, inspect, lifecycle, exec, stats (real engine)', () => {
  let t: TestApp;
  let team: TeamToken;
  let registry: BusyboxRegistry;
  let image: string;

  const run = (body: object, query: Record<string, string> = {}) => t.http.post('/containers').query(query).set(auth(team.token)).send(body);
  const get = (id: string) => t.http.get(`/containers/${id}`).set(auth(team.token));
  const action = (id: string, verb: string, query: Record<string, string> = {}) => t.http.post(`/containers/${id}/${verb}`).query(query).set(auth(team.token));
  const sleeper = (extra: object = {}) => run({ image, command: ['sleep', '300'], ...extra });

  beforeAll(async () => {
    t = await startTestApp();
    team = await createTeamToken(t.databaseUrl, 'team-run', 'admin');
    registry = await startBusyboxRegistry();
    image = registry.image;
  });

  afterAll(async () => {
    try {
      if (team) await removeTeamObjects(team.teamId);
      if (t) await removeTeamObjects(await defaultTeamId(t.databaseUrl));
    } finally {
      await registry?.stop();
      await t?.close();
    }
  });

  it('POST /containers?wait=true pulls a missing image, runs it and returns the exit code and output, step by step', async () => {
    await removeLocalTag(image);
    expect(await imageExists(image)).toBe(false);

    const res = await run({ image, command: ['sh', '-c', 'echo hello from berth; echo oops >&2; exit 3'] }, { wait: 'true' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      image: { reference: image, pulled: true, id: expect.stringMatching(/^sha256:/) },
      exitCode: 3,
      removed: false,
      container: { state: { status: 'exited', exitCode: 3, running: false }, berth: { managed: true, team: team.teamId, adopted: false } },
    });
    expect(res.body.logs).toEqual(
      expect.arrayContaining([
        { stream: 'stdout', line: 'hello from berth' },
        { stream: 'stderr', line: 'oops' },
      ]),
    );
    expect(await imageExists(image)).toBe(true);
    expect(res.headers['x-operation-id']).toBe(res.body.operationId);

    const op = await t.http.get(`/operations/${res.body.operationId}`).set(auth(team.token));
    expect(op.body).toMatchObject({ kind: 'container_run', status: 'succeeded', result: { exitCode: 3 } });
    const steps: string[] = op.body.steps.map((s: { message: string }) => s.message);
    const at = (re: RegExp) => steps.findIndex((m) => re.test(m));
    const order = [/^Pulled /, /^Created container /, /^Started$/, /^Exited with code 3$/].map(at);
    expect(order).not.toContain(-1);
    expect(order).toEqual([...order].sort((a, b) => a - b));

    // The container carries Berth's labels, and the operation's id.
    const inspect = await docker.getContainer(res.body.container.id).inspect();
    expect(inspect.Config.Labels).toMatchObject({ 'io.berth.managed': 'true', 'io.berth.team': team.teamId, 'io.berth.operation': res.body.operationId });
  });

  it('publishes ports on 127.0.0.1 by default, and the published port answers', async () => {
    const res = await run({
      image,
      command: ['sh', '-c', 'mkdir -p /www && echo hello-httpd > /www/index.html && exec httpd -f -p 8080 -h /www'],
      ports: [{ containerPort: 8080 }],
    });
    expect(res.status).toBe(201);
    const [port] = res.body.container.ports;
    expect(port).toEqual({ privatePort: 8080, publicPort: expect.any(Number), ip: '127.0.0.1', type: 'tcp' });
    const text = await waitFor(
      async () => {
        const r = await fetch(`http://127.0.0.1:${port.publicPort}/`);
        return r.status === 200 ? r.text() : undefined;
      },
      { what: 'httpd on the published port' },
    );
    expect(text).toBe('hello-httpd\n');
    const inspect = await docker.getContainer(res.body.container.id).inspect();
    expect(inspect.HostConfig.PortBindings['8080/tcp']).toEqual([{ HostIp: '127.0.0.1', HostPort: '' }]);
  });

  it('stop/start/pause/unpause/kill/restart/remove move the container through the states GET /containers/:id reports', async () => {
    const name = `run-states-${suite}`;
    const created = await sleeper({ name });
    expect(created.status).toBe(201);
    const state = async () => (await get(name)).body.state;
    expect(await state()).toMatchObject({ status: 'running', running: true });

    expect((await action(name, 'start')).body.state.status).toBe('running'); // already running: a no-op
    expect((await action(name, 'pause')).body.state).toMatchObject({ status: 'paused', paused: true });
    expect(await state()).toMatchObject({ status: 'paused', paused: true });
    expect((await action(name, 'pause')).status).toBe(409);
    expect((await action(name, 'unpause')).body.state).toMatchObject({ status: 'running', paused: false });
    expect(await state()).toMatchObject({ status: 'running' });

    const stopped = await action(name, 'stop', { timeout: '1' });
    expect(stopped.status).toBe(200);
    expect(stopped.body.state).toMatchObject({ status: 'exited', running: false });
    expect(await state()).toMatchObject({ status: 'exited' });
    expect((await action(name, 'stop')).status).toBe(200); // already stopped: a no-op
    expect((await action(name, 'kill')).status).toBe(409); // not running

    expect((await action(name, 'start')).body.state.status).toBe('running');
    expect(await state()).toMatchObject({ status: 'running' });
    const killed = await action(name, 'kill', { signal: 'KILL' });
    expect(killed.body.state).toMatchObject({ status: 'exited', exitCode: 137 });
    expect(await state()).toMatchObject({ status: 'exited', exitCode: 137 });

    const restarted = await action(name, 'restart', { timeout: '0' });
    expect(restarted.body.state.status).toBe('running');
    expect(await state()).toMatchObject({ status: 'running' });

    const refused = await t.http.delete(`/containers/${name}`).set(auth(team.token));
    expect(refused.status).toBe(409);
    expect((await t.http.delete(`/containers/${name}`).query({ force: 'true' }).set(auth(team.token))).status).toBe(204);
    expect((await get(name)).status).toBe(404);
    await expect(docker.getContainer(created.body.container.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('validates signals, timeouts and ids, naming field and rule', async () => {
    const c = (await sleeper()).body.container;
    const badSignal = await action(c.id, 'kill', { signal: 'SIGFOO' });
    expect(badSignal.status).toBe(400);
    expect(badSignal.body.details).toEqual([expect.objectContaining({ field: 'signal', rule: 'signal' })]);
    const badTimeout = await action(c.id, 'stop', { timeout: '-1' });
    expect(badTimeout.status).toBe(400);
    expect(badTimeout.body.details).toEqual([expect.objectContaining({ field: 'timeout', rule: 'min' })]);
    const badId = await t.http.get('/containers/..%2Fetc').set(auth(team.token));
    expect(badId.status).toBe(400);
    expect(badId.body.details).toEqual([expect.objectContaining({ field: 'id', rule: 'containerRef' })]);
    const unknownQuery = await action(c.id, 'stop', { t: '1' });
    expect(unknownQuery.status).toBe(400);
    expect(unknownQuery.body.details).toEqual([expect.objectContaining({ field: 't', rule: 'forbidden' })]);
  });

  it('rejects unknown fields and invalid env keys, labels, ports, names and mounts with field and rule, creating nothing', async () => {
    const cases: [object, string, string][] = [
      [{ image, hostConfig: { Privileged: true } }, 'hostConfig', 'forbidden'],
      [{ image, env: { 'BAD-KEY': 'x' } }, 'env', 'envKey'],
      [{ image, labels: { 'io.berth.team': 'someone-else' } }, 'labels', 'labelKey'],
      [{ image, ports: [{ containerPort: 0 }] }, 'ports.0.containerPort', 'min'],
      [{ image, ports: [{ containerPort: 80, hostIp: 'not-an-ip' }] }, 'ports.0.hostIp', 'isIp'],
      [{ image, name: 'bad/name' }, 'name', 'matches'],
      [{ image, volumes: [{ type: 'bind', source: 'relative/path', target: '/data' }] }, 'volumes.0.source', 'absolutePath'],
      [{ image, volumes: [{ type: 'volume', source: 'v', target: '/data/../etc' }] }, 'volumes.0.target', 'matches'],
      [{ image, pull: 'sometimes' }, 'pull', 'isIn'],
      [{ image, autoRemove: true, restartPolicy: { name: 'always' } }, 'autoRemove', 'conflict'],
    ];
    for (const [body, field, rule] of cases) {
      const res = await run(body);
      expect([field, res.status]).toEqual([field, 400]);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule })]));
    }
    const malformed = await run({ image: 'UPPER/Case::bad' });
    expect(malformed.status).toBe(400);
    expect(await docker.listContainers({ all: true, filters: { label: [`io.berth.team=${team.teamId}`], status: ['created'] } })).toEqual([]);
  });

  it('leaves nothing half-created when start fails, and reports which step failed and why', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    try {
      const res = await run({ image, command: ['sleep', '300'], ports: [{ containerPort: 80, hostPort: taken }] });
      expect(res.status).toBe(409);
      expect(res.body.message).toMatch(/^Container run failed at step start: .*(address already in use|port is already allocated)/);
      const operationId = res.headers['x-operation-id'];
      const op = await t.http.get(`/operations/${operationId}`).set(auth(team.token));
      expect(op.body).toMatchObject({ status: 'failed', error: expect.stringMatching(/^start: /) });
      expect(op.body.steps.map((s: { message: string }) => s.message)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^Created container /), expect.stringMatching(/^Step start failed: /), 'Removed the container that was created but never started']),
      );
      expect(await docker.listContainers({ all: true, filters: { label: [`io.berth.operation=${operationId}`] } })).toEqual([]);
    } finally {
      blocker.close();
    }

    const missingBinary = await run({ image, command: ['/no/such/program'] });
    expect(missingBinary.status).toBeGreaterThanOrEqual(400);
    expect(missingBinary.body.message).toMatch(/^Container run failed at step start: .*no such file or directory/);
    expect(await docker.listContainers({ all: true, filters: { label: [`io.berth.operation=${missingBinary.headers['x-operation-id']}`] } })).toEqual([]);

    const neverPull = await run({ image: `${image}-missing`, pull: 'never' }, { wait: 'true' });
    expect(neverPull.status).toBe(404);
    expect(neverPull.body.message).toMatch(/^Container run failed at step image: /);
  });

  it('passes env, working dir, user, entrypoint, labels, restart policy, limits and healthcheck to the engine; GET shows them trimmed, plus raw', async () => {
    const res = await run({
      image,
      name: `run-config-${suite}`,
      entrypoint: ['sh', '-c'],
      command: ['echo started; exec sleep 300'],
      env: { GREETING: 'hello world', EMPTY: '' },
      workingDir: '/tmp',
      user: '65534:65534',
      labels: { 'com.example.suite': suite },
      restartPolicy: { name: 'on-failure', maximumRetryCount: 2 },
      memoryBytes: 64 * 1024 * 1024,
      cpus: 0.5,
      healthcheck: { test: ['CMD', 'true'], intervalSeconds: 1, retries: 1 },
    });
    expect(res.status).toBe(201);
    const inspect = await docker.getContainer(res.body.container.id).inspect();
    expect(inspect.Config.Env).toEqual(expect.arrayContaining(['GREETING=hello world', 'EMPTY=']));
    expect(inspect.Config).toMatchObject({ WorkingDir: '/tmp', User: '65534:65534', Entrypoint: ['sh', '-c'], Cmd: ['echo started; exec sleep 300'] });
    expect(inspect.Config.Labels).toMatchObject({ 'com.example.suite': suite, 'io.berth.team': team.teamId });
    expect(inspect.HostConfig).toMatchObject({ Memory: 64 * 1024 * 1024, NanoCpus: 500_000_000, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } });
    expect(inspect.Config.Healthcheck).toMatchObject({ Test: ['CMD', 'true'], Interval: 1_000_000_000 });

    const detail = await waitFor(
      async () => {
        const r = await get(`run-config-${suite}`);
        return r.body.state?.health?.status === 'healthy' ? r.body : undefined;
      },
      { what: 'the healthcheck to pass' },
    );
    expect(detail).toMatchObject({
      name: `run-config-${suite}`,
      image,
      state: { status: 'running', health: { status: 'healthy', failingStreak: 0 } },
      config: { entrypoint: ['sh', '-c'], command: ['echo started; exec sleep 300'], workingDir: '/tmp', user: '65534:65534', restartPolicy: 'on-failure', maximumRetryCount: 2, memoryBytes: 64 * 1024 * 1024, cpus: 0.5, autoRemove: false, networkMode: 'bridge' },
      labels: expect.objectContaining({ 'com.example.suite': suite }),
      berth: { managed: true, team: team.teamId, adopted: false },
      raw: { Id: res.body.container.id },
    });
    expect(detail.networks).toEqual([expect.objectContaining({ name: 'bridge' })]);
    expect((await t.http.get(`/containers/${res.body.container.id.slice(0, 12)}`).query({ raw: 'false' }).set(auth(team.token))).body.raw).toBeUndefined();
  });

  it('exec runs a command to completion and returns exit code, stdout and stderr separately', async () => {
    const c = (await sleeper()).body.container;
    const res = await t.http
      .post(`/containers/${c.id}/exec`)
      .set(auth(team.token))
      .send({ cmd: ['sh', '-c', 'echo "out $GREETING $(pwd) $(id -u)"; echo err >&2; exit 4'], env: { GREETING: 'hi' }, workdir: '/bin', user: '65534' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ exitCode: 4, stdout: 'out hi /bin 65534\n', stderr: 'err\n', truncated: false });
    const missing = await t.http.post(`/containers/${c.id}/exec`).set(auth(team.token)).send({ cmd: ['/no/such/program'] });
    expect(missing.status).toBe(200);
    expect([126, 127]).toContain(missing.body.exitCode);

    const invalid = await t.http.post(`/containers/${c.id}/exec`).set(auth(team.token)).send({ cmd: [], shell: true });
    expect(invalid.status).toBe(400);
    expect(invalid.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'cmd', rule: 'arrayMinSize' }), expect.objectContaining({ field: 'shell', rule: 'forbidden' })]));
    await action(c.id, 'stop', { timeout: '0' });
    expect((await t.http.post(`/containers/${c.id}/exec`).set(auth(team.token)).send({ cmd: ['true'] })).status).toBe(409);
  });

  it('stats returns one sample with CPU % computed from two readings, memory against the limit, network and block I/O; top lists processes', async () => {
    const c = (await run({ image, command: ['sh', '-c', 'while :; do :; done'], cpus: 0.5, memoryBytes: 64 * 1024 * 1024 })).body.container;
    const stats = await waitFor(
      async () => {
        const r = await t.http.get(`/containers/${c.id}/stats`).set(auth(team.token));
        expect(r.status).toBe(200);
        return r.body.cpu.percent > 0 ? r.body : undefined;
      },
      { what: 'a stats sample with CPU use' },
    );
    expect(stats.preread).toEqual(expect.any(String));
    expect(stats.cpu.percent).toBeLessThanOrEqual(60); // limited to half a CPU
    expect(stats.cpu.onlineCpus).toBeGreaterThanOrEqual(1);
    expect(stats.memory).toEqual({ usageBytes: expect.any(Number), limitBytes: 64 * 1024 * 1024, percent: expect.any(Number) });
    expect(stats.memory.usageBytes).toBeGreaterThan(0);
    expect(stats.network).toEqual({ rxBytes: expect.any(Number), txBytes: expect.any(Number), rxPackets: expect.any(Number), txPackets: expect.any(Number) });
    expect(stats.blockIo).toEqual({ readBytes: expect.any(Number), writeBytes: expect.any(Number) });
    expect(stats.pids).toBeGreaterThanOrEqual(1);

    const top = await t.http.get(`/containers/${c.id}/top`).set(auth(team.token));
    expect(top.status).toBe(200);
    expect(top.body.titles).toEqual(expect.arrayContaining(['PID', 'CMD']));
    expect(top.body.processes.map((p: string[]) => p[top.body.titles.indexOf('CMD')])).toEqual(expect.arrayContaining([expect.stringContaining('while :; do :; done')]));
    await action(c.id, 'kill');
    expect((await t.http.get(`/containers/${c.id}/top`).set(auth(team.token))).status).toBe(409);
  });

  it('GET /containers lists running containers by default, all with ?all=true, and filters by label, status and name', async () => {
    const label = `com.example.list=${suite}`;
    const labels = { 'com.example.list': suite };
    const running = (await sleeper({ labels, name: `list-running-${suite}`, ports: [{ containerPort: 80 }] })).body.container;
    const exited = (await run({ image, command: ['true'], labels, name: `list-exited-${suite}` }, { wait: 'true' })).body.container;
    const list = async (query: Record<string, string | string[]>) => {
      const r = await t.http.get('/containers').query(query).set(auth(team.token));
      expect(r.status).toBe(200);
      return r.body as { id: string }[];
    };
    const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();
    expect(ids(await list({ label }))).toEqual([running.id]);
    expect(ids(await list({ label, all: 'true' }))).toEqual([running.id, exited.id].sort());
    expect(ids(await list({ label, status: 'exited' }))).toEqual([exited.id]);
    expect(ids(await list({ name: `list-exited-${suite}`, all: 'true' }))).toEqual([exited.id]);
    expect(await list({ label: `com.example.list=nope-${suite}`, all: 'true' })).toEqual([]);

    const [row] = (await list({ label })) as any[];
    expect(row).toEqual({
      id: running.id,
      name: `list-running-${suite}`,
      image,
      imageId: expect.stringMatching(/^sha256:/),
      command: 'sleep 300',
      created: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      state: 'running',
      status: expect.stringMatching(/^Up /),
      ports: [{ privatePort: 80, publicPort: expect.any(Number), ip: '127.0.0.1', type: 'tcp' }],
      labels: expect.objectContaining({ 'com.example.list': suite, 'io.berth.team': team.teamId, 'io.berth.managed': 'true' }),
      berth: { managed: true, team: team.teamId, adopted: false },
    });
    const badStatus = await t.http.get('/containers').query({ status: 'sleeping' }).set(auth(team.token));
    expect(badStatus.status).toBe(400);
    expect(badStatus.body.details).toEqual([expect.objectContaining({ field: 'status', rule: 'isIn' })]);
  });

  it('autoRemove removes the container after it exits; with ?wait=true after its logs were read', async () => {
    const waited = await run({ image, command: ['echo', 'bye'], autoRemove: true }, { wait: 'true', tail: '5' });
    expect(waited.status).toBe(201);
    expect(waited.body).toMatchObject({ exitCode: 0, removed: true, logs: [{ stream: 'stdout', line: 'bye' }] });
    await expect(docker.getContainer(waited.body.container.id).inspect()).rejects.toMatchObject({ statusCode: 404 });

    const detached = await run({ image, command: ['true'], autoRemove: true });
    expect(detached.status).toBe(201);
    await waitFor(() => docker.getContainer(detached.body.container.id).inspect().then(() => false, (e) => e.statusCode === 404), { what: 'the engine to auto-remove the container' });
  });

  it('a client that leaves during ?wait=true does not stop the run: the operation records the exit code and autoRemove still happens', async () => {
    const marker = `leave-${suite}`;
    const req = httpRequest(new URL('/containers?wait=true', t.url), { method: 'POST', headers: { ...auth(team.token), 'Content-Type': 'application/json' } });
    req.on('error', () => undefined);
    req.end(JSON.stringify({ image, labels: { 'com.example.marker': marker }, autoRemove: true, command: ['sh', '-c', 'mkdir -p /tmp; until [ -f /tmp/done ]; do sleep 0.1; done; exit 5'] }));
    const [container] = await waitFor(async () => {
      const list = await docker.listContainers({ filters: { label: [`com.example.marker=${marker}`], status: ['running'] } });
      return list.length ? list : undefined;
    }, { what: 'the waited-for container to run' });
    req.destroy();

    expect((await t.http.post(`/containers/${container.Id}/exec`).set(auth(team.token)).send({ cmd: ['touch', '/tmp/done'] })).body.exitCode).toBe(0);
    const operationId = container.Labels['io.berth.operation'];
    const op = await waitFor(async () => {
      const r = await t.http.get(`/operations/${operationId}`).set(auth(team.token));
      return r.body.status === 'succeeded' ? r.body : undefined;
    }, { what: 'the run operation to finish' });
    expect(op.result).toMatchObject({ exitCode: 5, removed: true });
    await expect(docker.getContainer(container.Id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('keeps named volumes (labelled for the team) across runs', async () => {
    const volume = `berth-run-${suite}`;
    const volumes = [{ type: 'volume', source: volume, target: '/data' }];
    const write = await run({ image, command: ['sh', '-c', 'echo persisted > /data/file'], volumes, autoRemove: true }, { wait: 'true' });
    expect(write.body.exitCode).toBe(0);
    const read = await run({ image, command: ['cat', '/data/file'], volumes: [{ ...volumes[0], readOnly: true }], autoRemove: true }, { wait: 'true' });
    expect(read.body).toMatchObject({ exitCode: 0, logs: [{ stream: 'stdout', line: 'persisted' }] });
    expect((await docker.getVolume(volume).inspect()).Labels).toMatchObject({ 'io.berth.team': team.teamId, 'io.berth.managed': 'true' });
  });
});
