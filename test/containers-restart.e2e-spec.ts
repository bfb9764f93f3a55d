import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { BERTH_LABELS } from '../apps/api/src/docker/docker.service';
import { TEST_SECRET_KEY } from './helpers/app';
import { createTestDatabase, TestDatabase } from './helpers/database';
import { grantImage, waitOperation } from './helpers/deployments';
import { BUSYBOX_IMAGE, docker, ensureBusyboxImage, removeContainersByLabel } from './helpers/docker';
import { spawnApi } from './helpers/process';
import { createTeamToken, TeamToken } from './helpers/tokens';
import { waitFor } from './helpers/wait';

/** POST /containers?wait=true when the API is killed while it waits: the next process finishes the run. */
describe('Container runs survive the API being killed', () => {
  let db: TestDatabase;
  let dataDir: string;
  let team: TeamToken;
  const env = () => ({ DATABASE_URL: db.url, BERTH_SECRET_KEY: TEST_SECRET_KEY, BERTH_DATA_DIR: dataDir });
  const teamContainers = () => docker.listContainers({ all: true, filters: { label: [`${BERTH_LABELS.team}=${team.teamId}`] } });

  beforeAll(async () => {
    await ensureBusyboxImage();
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'berth-run-restart-'));
    const first = await spawnApi(env()); // migrates the database
    await first.stop();
    team = await createTeamToken(db.url, 'runner', 'deployer');
    await grantImage(db.url, team.teamId, BUSYBOX_IMAGE);
  });
  afterAll(async () => {
    await removeContainersByLabel(BERTH_LABELS.team, team?.teamId);
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('SIGKILL during ?wait=true with autoRemove: the next start records the exit code and removes the container', async () => {
    const a = await spawnApi(env());
    // Runs until the test sends SIGTERM, then exits 7.
    const body = { image: BUSYBOX_IMAGE, pull: 'never', autoRemove: true, command: ['sh', '-c', 'trap "exit 7" TERM; while true; do sleep 0.1; done'] };
    const pending = request(a.url).post('/containers?wait=true').set('Authorization', `Bearer ${team.token}`).send(body).then(
      () => undefined,
      () => undefined, // the connection dies with the process
    );
    const running = await waitFor(async () => (await teamContainers()).find((c) => c.State === 'running'), { what: 'the run to start', timeoutMs: 60_000 });
    const operationId = running.Labels[BERTH_LABELS.operation];
    a.child.kill('SIGKILL');
    await a.exited;
    await pending;
    // With nothing to finish it, the operation stays running and the container stays.
    const [left] = await teamContainers();
    expect(left.Id).toBe(running.Id);

    const b = await spawnApi(env());
    try {
      await waitFor(async () => (await waitOperation(b.url, team.token, operationId, 0)).body.steps?.some((s: { message: string }) => s.message === 'Waiting for the container to exit'), {
        what: 'the new process to pick the run up',
        timeoutMs: 30_000,
      });
      await docker.getContainer(running.Id).kill({ signal: 'SIGTERM' });
      const op = await waitOperation(b.url, team.token, operationId, 60);
      expect(op.body).toMatchObject({ status: 'succeeded', result: { containerId: running.Id, exitCode: 7, removed: true } });
      const messages = op.body.steps.map((s: { message: string }) => s.message);
      expect(messages).toEqual(expect.arrayContaining([expect.stringContaining('Berth restarted while this run was in progress'), 'Exited with code 7', 'Removed (autoRemove)']));
      expect(await teamContainers()).toEqual([]);
    } finally {
      await b.stop();
    }
  });
});
