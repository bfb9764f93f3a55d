import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { TEST_SECRET_KEY } from './helpers/app';
import { createTestDatabase, TestDatabase } from './helpers/database';
import { grantImage, isReady, replicaContainers, waitOperation } from './helpers/deployments';
import { BUSYBOX_IMAGE, docker, removeContainersByLabel } from './helpers/docker';
import { spawnApi } from './helpers/process';
import { createTeamToken, TeamToken } from './helpers/tokens';
import { waitFor } from './helpers/wait';

describe('Deployments survive the API being killed', () => {
  let db: TestDatabase;
  let dataDir: string;
  let team: TeamToken;
  const env = () => ({ DATABASE_URL: db.url, BERTH_SECRET_KEY: TEST_SECRET_KEY, BERTH_DATA_DIR: dataDir });

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'berth-restart-'));
    // First start migrates the database; then the team and its image can be recorded.
    const first = await spawnApi(env());
    await first.stop();
    team = await createTeamToken(db.url, 'pipeline', 'deployer');
    await grantImage(db.url, team.teamId, BUSYBOX_IMAGE);
  });
  afterAll(async () => {
    await removeContainersByLabel('io.berth.team', team?.teamId);
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('SIGKILL mid-rollout, start again: converges to the target with exactly `replicas` containers and a consistent history', async () => {
    const a = await spawnApi(env());
    const spec = {
      image: BUSYBOX_IMAGE,
      command: ['sleep', '3600'],
      replicas: 4,
      healthcheck: { command: ['true'], intervalSeconds: 1, timeoutSeconds: 1, retries: 1, startPeriodSeconds: 0 },
      strategy: { type: 'rolling', maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 120 },
    };
    const first = await request(a.url).put('/deployments/api').set('Authorization', `Bearer ${team.token}`).send(spec);
    expect((await waitOperation(a.url, team.token, first.body.operation.id)).body.status).toBe('succeeded');
    // Revision 2 replaces the replicas one at a time; kill the API while both revisions run.
    const res = await request(a.url).put('/deployments/api').set('Authorization', `Bearer ${team.token}`).send({ ...spec, env: { RELEASE: '2' } });
    expect(res.status).toBe(202);
    await waitFor(async () => (await replicaContainers(team.teamId, 'api')).some((c) => c.Labels['io.berth.revision'] === '2'), { what: 'the first replica of revision 2', timeoutMs: 60_000 });
    a.child.kill('SIGKILL');
    await a.exited;
    const before = await replicaContainers(team.teamId, 'api');
    expect(new Set(before.map((c) => c.Labels['io.berth.revision']))).toEqual(new Set(['1', '2']));

    const b = await spawnApi(env());
    try {
      const op = await waitOperation(b.url, team.token, res.body.operation.id);
      expect(op.body.status).toBe('succeeded');
      const messages = op.body.steps.map((s: { message: string }) => s.message);
      expect(messages.some((m: string) => m.includes('resuming'))).toBe(true);
      const list = await replicaContainers(team.teamId, 'api');
      expect(list).toHaveLength(4);
      expect(list.every(isReady)).toBe(true);
      expect(list.map((c) => c.Labels['io.berth.revision'])).toEqual(['2', '2', '2', '2']);
      // Revision 2 replicas that existed before the kill were adopted, not duplicated.
      for (const c of before.filter((c) => c.Labels['io.berth.revision'] === '2' && c.State === 'running')) expect(list.map((x) => x.Id)).toContain(c.Id);
      expect(new Set(list.map((c) => c.Labels['io.berth.slot'])).size).toBe(4);
      const ops = (await request(b.url).get('/deployments/api/operations').set('Authorization', `Bearer ${team.token}`)).body;
      expect(ops.map((o: { status: string }) => o.status)).toEqual(['succeeded', 'succeeded']);
    } finally {
      await b.stop();
    }
  });

  it('removes containers whose definition is gone, and never touches foreign containers', async () => {
    const foreign = await docker.createContainer({ Image: BUSYBOX_IMAGE, Cmd: ['sleep', '3600'], Labels: { 'io.berth.test': 'foreign' } });
    await foreign.start();
    // An orphan: Berth's labels for a deployment that does not exist.
    const orphan = await docker.createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ['sleep', '3600'],
      Labels: { 'io.berth.managed': 'true', 'io.berth.team': team.teamId, 'io.berth.deployment': 'ghost', 'io.berth.role': 'replica', 'io.berth.revision': '1', 'io.berth.slot': '0' },
    });
    await orphan.start();
    const api = await spawnApi(env());
    try {
      await waitFor(async () => !(await docker.listContainers({ all: true, filters: { id: [orphan.id] } })).length, { what: 'the orphan to be removed', timeoutMs: 30_000 });
      expect((await foreign.inspect()).State.Running).toBe(true);
    } finally {
      await api.stop();
      await foreign.remove({ force: true });
    }
  });
});
