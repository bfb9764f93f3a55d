import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auth, startTestApp, TestApp } from './helpers/app';
import { BUSYBOX_IMAGE, docker, removeContainersByLabel } from './helpers/docker';
import { grantImage, isReady, replicaContainers, waitOperation } from './helpers/deployments';
import { EngineProxy } from './helpers/engine-proxy';
import { createTeamToken, TeamToken } from './helpers/tokens';
import { waitFor } from './helpers/wait';

const web = (over: Record<string, unknown> = {}) => ({
  image: BUSYBOX_IMAGE,
  command: ['httpd', '-f', '-p', '8080'],
  ports: [{ containerPort: 8080 }],
  replicas: 2,
  healthcheck: { command: ['true'], intervalSeconds: 1, timeoutSeconds: 10, retries: 3 },
  strategy: { type: 'rolling', maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 60 },
  ...over,
});

describe('Deployments', () => {
  let t: TestApp;
  let team: TeamToken;
  const put = (name: string, body: unknown, headers: Record<string, string> = {}) => t.http.put(`/deployments/${name}`).set(auth(team.token)).set(headers).send(body as object);
  const get = (name: string) => t.http.get(`/deployments/${name}`).set(auth(team.token));
  const done = async (id: string) => waitOperation(t.url, team.token, id);
  const serves = async (teamId: string, name: string) => {
    const list = await replicaContainers(teamId, name);
    const answers = await Promise.all(
      list.map(async (c) => {
        const port = c.Ports.find((p) => p.PrivatePort === 8080)?.PublicPort;
        return port ? (await fetch(`http://127.0.0.1:${port}/`)).status > 0 : false;
      }),
    );
    return answers.length > 0 && answers.every(Boolean);
  };

  beforeAll(async () => {
    t = await startTestApp();
    team = await createTeamToken(t.databaseUrl, 'deployers', 'deployer');
    await grantImage(t.databaseUrl, team.teamId, BUSYBOX_IMAGE);
  });
  afterAll(async () => {
    // The app first: a running reconciler would replace replicas removed under it.
    await t?.close();
    await removeContainersByLabel('io.berth.team', team?.teamId);
  });

  it('apply → 202 with a rollout; it becomes ready with N replicas published on 127.0.0.1', async () => {
    const res = await put('web', web());
    expect(res.status).toBe(202);
    expect(res.body.result).toBe('created');
    expect(res.body.revision).toBe(1);
    expect(res.headers.location).toBe(`/operations/${res.body.operation.id}`);
    const op = await done(res.body.operation.id);
    expect(op.status).toBe(200);
    expect(op.body.status).toBe('succeeded');
    const dep = await get('web');
    expect(dep.body.status).toMatchObject({ desired: 2, ready: 2, updated: 2, unavailable: 0 });
    expect(dep.body.currentRevision).toBe(1);
    expect(dep.headers.etag).toBe(`"${dep.body.version}"`);
    const list = await replicaContainers(team.teamId, 'web');
    expect(list).toHaveLength(2);
    for (const c of list) {
      expect(c.Names[0]).toMatch(/^\/web-r1-s[01]-[0-9a-f]{6}$/);
      expect(c.Ports.find((p) => p.PrivatePort === 8080)?.IP).toBe('127.0.0.1');
    }
    expect(await serves(team.teamId, 'web')).toBe(true);
  });

  it('the same apply again creates no revision and no operation', async () => {
    const before = (await t.http.get('/deployments/web/operations').set(auth(team.token))).body.length;
    const res = await put('web', web());
    expect(res.status).toBe(200);
    expect(res.body.result).toBe('unchanged');
    expect(res.body.operation).toBeUndefined();
    expect((await t.http.get('/deployments/web/revisions').set(auth(team.token))).body).toHaveLength(1);
    expect((await t.http.get('/deployments/web/operations').set(auth(team.token))).body).toHaveLength(before);
  });

  it('a changed env makes revision 2 and a rolling replacement that never drops below replicas - maxUnavailable ready', async () => {
    const dry = await t.http.put('/deployments/web?dryRun=true').set(auth(team.token)).send(web({ env: { COLOR: 'blue' } }));
    expect(dry.status).toBe(200);
    expect(dry.body.result).toBe('dry-run');
    expect(dry.body.changes).toEqual([{ path: 'env.COLOR', to: 'blue' }]);
    expect((await t.http.get('/deployments/web/revisions').set(auth(team.token))).body).toHaveLength(1);

    const res = await put('web', web({ env: { COLOR: 'blue' } }));
    expect(res.status).toBe(202);
    expect(res.body.revision).toBe(2);
    let minReady = Infinity;
    let finished = false;
    const sampling = (async () => {
      while (!finished) {
        const list = await replicaContainers(team.teamId, 'web');
        minReady = Math.min(minReady, list.filter(isReady).length);
      }
    })();
    const op = await done(res.body.operation.id);
    finished = true;
    await sampling;
    expect(op.body.status).toBe('succeeded');
    expect(minReady).toBeGreaterThanOrEqual(2);
    const list = await replicaContainers(team.teamId, 'web');
    expect(list.map((c) => c.Labels['io.berth.revision'])).toEqual(['2', '2']);
    const rev = await t.http.get('/deployments/web/revisions/2').set(auth(team.token));
    expect(rev.body.changes).toEqual([{ path: 'env.COLOR', to: 'blue' }]);
    expect(rev.body.imageDigest).toMatch(/^sha256:|@sha256:/);
  });

  it('a migrate step runs first from the new image, with its output in the operation log', async () => {
    const res = await put('web', web({ env: { COLOR: 'green' }, migrate: { command: ['sh', '-c', 'echo migrating schema to v3; echo warn >&2'] } }));
    const op = await done(res.body.operation.id);
    expect(op.body.status).toBe('succeeded');
    const messages = op.body.steps.map((s: { message: string }) => s.message);
    expect(messages).toContain('migrating schema to v3');
    expect(messages).toContain('Migration succeeded');
    expect(messages.indexOf('Migration succeeded')).toBeLessThan(messages.findIndex((m: string) => m.startsWith('Started')));
    const migrations = await docker.listContainers({ all: true, filters: { label: [`io.berth.team=${team.teamId}`, 'io.berth.role=migration'] } });
    expect(migrations).toHaveLength(0);
  });

  it('a failing migration (exit 3) fails the operation with MigrationFailed and leaves the running revision untouched and serving', async () => {
    const before = (await replicaContainers(team.teamId, 'web')).map((c) => c.Id).sort();
    const res = await put('web', web({ env: { COLOR: 'red' }, migrate: { command: ['sh', '-c', 'echo cannot migrate; exit 3'] } }));
    const op = await done(res.body.operation.id);
    expect(op.status).toBe(409);
    expect(op.body.code).toBe('OPERATION_FAILED');
    expect(op.body.message).toContain('MigrationFailed');
    const dep = await get('web');
    expect(dep.body.status.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'Progressing', status: 'False', reason: 'MigrationFailed' })]));
    expect(dep.body.currentRevision).toBe(3);
    expect((await replicaContainers(team.teamId, 'web')).map((c) => c.Id).sort()).toEqual(before);
    expect(await serves(team.teamId, 'web')).toBe(true);
    const full = await t.http.get(`/operations/${res.body.operation.id}`).set(auth(team.token));
    expect(full.body.steps.map((s: { message: string }) => s.message)).toContain('cannot migrate');
  });

  it('a revision whose healthcheck never passes hits ProgressDeadlineExceeded and rolls back to the last good revision', async () => {
    const res = await put('web', web({ env: { COLOR: 'sick' }, healthcheck: { command: ['false'], intervalSeconds: 1, timeoutSeconds: 1, retries: 1 }, strategy: { type: 'rolling', maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 6 } }));
    const op = await done(res.body.operation.id);
    expect(op.status).toBe(409);
    expect(op.body.message).toContain('ProgressDeadlineExceeded');
    const rolledBack = await waitFor(
      async () => {
        const dep = await get('web');
        return dep.body.currentRevision > res.body.revision && dep.body.status.ready === 2 && dep.body.status.updated === 2 ? dep.body : undefined;
      },
      { what: 'the automatic rollback to finish', timeoutMs: 90_000 },
    );
    expect(rolledBack.spec.env).toEqual({ COLOR: 'green' });
    const revs = (await t.http.get('/deployments/web/revisions').set(auth(team.token))).body;
    expect(revs.at(-1).changeCause).toBe('Automatic rollback to revision 3');
    expect(await serves(team.teamId, 'web')).toBe(true);
  });

  it('scales 3 → 5 → 1; stop then run restores the desired count; rollback to revision 1 restores its spec exactly', async () => {
    for (const n of [3, 5, 1]) {
      const res = await t.http.post('/deployments/web/scale').set(auth(team.token)).send({ replicas: n });
      expect(res.status).toBe(202);
      expect((await done(res.body.id)).body.status).toBe('succeeded');
      expect((await replicaContainers(team.teamId, 'web')).filter(isReady)).toHaveLength(n);
    }
    const stop = await t.http.post('/deployments/web/stop').set(auth(team.token));
    expect((await done(stop.body.id)).body.status).toBe('succeeded');
    expect(await replicaContainers(team.teamId, 'web')).toHaveLength(0);
    expect((await get('web')).body.status).toMatchObject({ desired: 0, stopped: true });
    const run = await t.http.post('/deployments/web/run').set(auth(team.token));
    expect((await done(run.body.id)).body.status).toBe('succeeded');
    expect((await replicaContainers(team.teamId, 'web')).filter(isReady)).toHaveLength(1);

    const rb = await t.http.post('/deployments/web/rollback').set(auth(team.token)).send({ revision: 1 });
    expect(rb.status).toBe(202);
    expect((await done(rb.body.id)).body.status).toBe('succeeded');
    const dep = (await get('web')).body;
    const rev1 = (await t.http.get('/deployments/web/revisions/1').set(auth(team.token))).body;
    expect(dep.spec).toEqual(rev1.spec);
    expect(dep.currentRevision).toBeGreaterThan(5);
  });

  it('replaces a replica killed through the engine, and two removed with rm -f', async () => {
    await done((await t.http.post('/deployments/web/scale').set(auth(team.token)).send({ replicas: 3 })).body.id);
    const [victim] = await replicaContainers(team.teamId, 'web');
    await docker.getContainer(victim.Id).kill();
    await waitFor(async () => {
      const list = await replicaContainers(team.teamId, 'web');
      return list.length === 3 && list.every(isReady) && !list.some((c) => c.Id === victim.Id);
    }, { what: 'the killed replica to be replaced', timeoutMs: 90_000 });

    const two = (await replicaContainers(team.teamId, 'web')).slice(0, 2);
    await Promise.all(two.map((c) => docker.getContainer(c.Id).remove({ force: true })));
    await waitFor(async () => {
      const list = await replicaContainers(team.teamId, 'web');
      return list.length === 3 && list.every(isReady) && !list.some((c) => two.some((x) => x.Id === c.Id));
    }, { what: 'both removed replicas to be replaced', timeoutMs: 90_000 });
  });

  it('serialises 20 concurrent scale requests: the last accepted wins, no orphans', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => t.http.post('/deployments/web/scale').set(auth(team.token)).send({ replicas: (i % 4) + 1 })));
    expect(answers.every((a) => a.status === 202)).toBe(true);
    const final = await waitFor(async () => {
      const ops = (await t.http.get('/deployments/web/operations').set(auth(team.token))).body as { status: string }[];
      return ops.every((o) => o.status !== 'pending' && o.status !== 'running') ? (await get('web')).body : undefined;
    }, { what: 'every scale operation to finish', timeoutMs: 120_000 });
    const list = await replicaContainers(team.teamId, 'web');
    expect(list).toHaveLength(final.replicas);
    expect(list.every(isReady)).toBe(true);
    // The last accepted request is the operation created last.
    const ops = (await t.http.get('/deployments/web/operations').set(auth(team.token))).body as { kind: string; params: { replicas: number } }[];
    expect(final.replicas).toBe(ops.find((o) => o.kind === 'scale')!.params.replicas);
  });

  it('answers a stale If-Match with 412 and a retried Idempotency-Key with the same operation', async () => {
    const dep = await get('web');
    const stale = await t.http.post('/deployments/web/scale').set(auth(team.token)).set('If-Match', `"${dep.body.version - 1}"`).send({ replicas: 2 });
    expect(stale.status).toBe(412);
    const first = await t.http.post('/deployments/web/scale').set(auth(team.token)).set('Idempotency-Key', 'pipeline-run-77').send({ replicas: 2 });
    const again = await t.http.post('/deployments/web/scale').set(auth(team.token)).set('Idempotency-Key', 'pipeline-run-77').send({ replicas: 2 });
    expect(first.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    await done(first.body.id);
    const fresh = await t.http.post('/deployments/web/scale').set(auth(team.token)).set('If-Match', (await get('web')).headers.etag).send({ replicas: 2 });
    expect(fresh.status).toBe(202);
    await done(fresh.body.id);
  });

  it('accepts YAML, refuses impossible combinations with 422 and bad fields with 400, changing nothing', async () => {
    const yaml = `image: ${BUSYBOX_IMAGE}\ncommand: [sleep, "3600"]\nreplicas: 1\nstrategy:\n  type: recreate\n`;
    const res = await t.http.put('/deployments/worker').set(auth(team.token)).set('Content-Type', 'application/yaml').send(yaml);
    expect(res.status).toBe(202);
    expect((await done(res.body.operation.id)).body.status).toBe('succeeded');

    const clash = await put('api', web({ ports: [{ containerPort: 8080, hostPort: 18080 }], replicas: 2 }));
    expect(clash.status).toBe(422);
    expect(clash.body.details[0]).toMatchObject({ field: 'ports.0.hostPort', rule: 'fixedHostPortWithReplicas' });
    const surge = await put('api', web({ ports: [{ containerPort: 8080, hostPort: 18080 }], replicas: 1 }));
    expect(surge.status).toBe(422);
    expect(surge.body.details[0].rule).toBe('fixedHostPortWithSurge');
    const bad = await put('api', { ...web(), replicas: -1, env: { 'BAD KEY': 'x' }, extra: true });
    expect(bad.status).toBe(400);
    expect(bad.body.details.map((d: { field: string }) => d.field)).toEqual(expect.arrayContaining(['replicas', 'env', 'extra']));
    expect((await put('Bad_Name', web())).status).toBe(400);
    expect((await get('api')).status).toBe(404);
  });

  it('creates with POST (409 when it exists), deletes keeping history, and another team sees none of it', async () => {
    const created = await t.http.post('/deployments').set(auth(team.token)).send({ name: 'batch', image: BUSYBOX_IMAGE, command: ['sleep', '3600'], replicas: 1 });
    expect(created.status).toBe(202);
    await done(created.body.operation.id);
    expect((await t.http.post('/deployments').set(auth(team.token)).send({ name: 'batch', image: BUSYBOX_IMAGE })).status).toBe(409);

    const other = await createTeamToken(t.databaseUrl, 'others', 'admin');
    expect((await t.http.get('/deployments/batch').set(auth(other.token))).status).toBe(404);
    expect((await t.http.get('/deployments').set(auth(other.token))).body.items).toEqual([]);
    expect((await t.http.post('/deployments/batch/scale').set(auth(other.token)).send({ replicas: 3 })).status).toBe(404);
    expect((await t.http.get(`/operations/${created.body.operation.id}`).set(auth(other.token))).status).toBe(404);

    // Deleting is an admin's act: the deployer who rolled it out is refused, the team's admin is not.
    expect((await t.http.delete('/deployments/batch').set(auth(team.token))).status).toBe(403);
    const admin = await createTeamToken(t.databaseUrl, 'deployers', 'admin');
    const del = await t.http.delete('/deployments/batch').set(auth(admin.token));
    expect(del.status).toBe(202);
    expect((await done(del.body.id)).body.status).toBe('succeeded');
    expect(await replicaContainers(team.teamId, 'batch')).toHaveLength(0);
    expect((await get('batch')).status).toBe(404);
    expect((await t.http.get('/deployments/batch/revisions').set(auth(team.token))).body).toHaveLength(1);
  });

  it('waits for readiness on state and health changes, not on every healthcheck probe (exec) of every replica', async () => {
    const listCalls = async () => {
      const text = (await t.http.get('/metrics').set(auth(t.token))).text;
      return Number(/berth_docker_call_duration_seconds_count\{operation="listContainers",outcome="ok"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const since = Math.floor(Date.now() / 1000) - 1;
    const before = await listCalls();
    // 12 replicas that turn healthy only after ~8 s: up to ~90 probes, each an exec (3 engine events).
    const res = await put('probed', {
      image: BUSYBOX_IMAGE,
      command: ['sh', '-c', 'sleep 8; touch /ready; exec sleep 3600'],
      replicas: 12,
      healthcheck: { command: ['test', '-f', '/ready'], intervalSeconds: 1, timeoutSeconds: 10, retries: 60 },
      strategy: { type: 'rolling', maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 120 },
    });
    expect(res.status).toBe(202);
    expect((await done(res.body.operation.id)).body.status).toBe('succeeded');
    const listed = (await listCalls()) - before;
    const events = await docker.getEvents({ since, until: Math.ceil(Date.now() / 1000) + 1, filters: { type: ['container'], label: [`io.berth.team=${team.teamId}`, 'io.berth.deployment=probed'] } });
    let raw = '';
    for await (const chunk of events as unknown as AsyncIterable<Buffer>) raw += chunk.toString();
    const execEvents = raw.split('\n').filter((l) => l && (JSON.parse(l) as { Action?: string }).Action?.startsWith('exec_')).length;
    expect(execEvents).toBeGreaterThanOrEqual(36);
    // Converging re-lists on a state or health change (and once a second without one), not on
    // each of the probes' exec events (it did: about one listing per exec event).
    expect(listed).toBeLessThan(execEvents / 2);
    expect((await replicaContainers(team.teamId, 'probed')).filter(isReady)).toHaveLength(12);

    // The list reads every row's revision in one query; each item still carries its own spec.
    const list = (await t.http.get('/deployments').set(auth(team.token))).body.items as { name: string; spec: unknown; targetRevision: number }[];
    expect(list.map((d) => d.name)).toContain('probed');
    for (const item of list) {
      const one = (await get(item.name)).body;
      expect(item).toMatchObject({ targetRevision: one.targetRevision, spec: one.spec });
    }
  });
});

describe('Deployments on a slow engine', () => {
  let dir: string;
  let proxy: EngineProxy;
  let t: TestApp;
  let team: TeamToken;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-slow-engine-'));
    proxy = new EngineProxy(join(dir, 'docker.sock'));
    await proxy.listen();
    // Every container start reaches the engine 3 s late, past the 1.5 s engine request timeout.
    proxy.delay(/^POST \S*\/containers\/[^/\s]+\/start/, 3000);
    t = await startTestApp({ env: { DOCKER_HOST: `unix://${proxy.path}`, BERTH_DOCKER_TIMEOUT_MS: '1500' } });
    team = await createTeamToken(t.databaseUrl, 'slow', 'deployer');
    await grantImage(t.databaseUrl, team.teamId, BUSYBOX_IMAGE);
  });
  afterAll(async () => {
    await proxy?.close();
    // The app first: a running reconciler would replace replicas removed under it.
    await t?.close();
    await removeContainersByLabel('io.berth.team', team?.teamId);
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts replicas whose start outlasts BERTH_DOCKER_TIMEOUT_MS instead of taking the engine for gone and starting them again', async () => {
    const res = await t.http.put('/deployments/slow').set(auth(team.token)).send({ image: BUSYBOX_IMAGE, command: ['sleep', '3600'], replicas: 3, strategy: { type: 'rolling', progressDeadlineSeconds: 45 } });
    expect(res.status).toBe(202);
    const op = await waitOperation(t.url, team.token, res.body.operation.id, 100);
    expect(op.body.status).toBe('succeeded');
    expect(op.body.steps.map((s: { message: string }) => s.message).filter((m: string) => m.startsWith('Docker Engine unavailable'))).toEqual([]);
    const list = await replicaContainers(team.teamId, 'slow');
    expect(list).toHaveLength(3);
    expect(list.every(isReady)).toBe(true);
  });
});
