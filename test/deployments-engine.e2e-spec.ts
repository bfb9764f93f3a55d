import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auth, startTestApp, TestApp } from './helpers/app';
import { grantImage, isReady, replicaContainers, waitOperation } from './helpers/deployments';
import { BUSYBOX_IMAGE, removeContainersByLabel } from './helpers/docker';
import { EngineProxy } from './helpers/engine-proxy';
import { createTeamToken, TeamToken } from './helpers/tokens';
import { waitFor } from './helpers/wait';

describe('Deployments while the Docker Engine is away', () => {
  let dir: string;
  let proxy: EngineProxy;
  let t: TestApp;
  let team: TeamToken;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'berth-engine-'));
    proxy = new EngineProxy(join(dir, 'docker.sock'));
    await proxy.listen();
    t = await startTestApp({ env: { DOCKER_HOST: `unix://${proxy.path}` } });
    team = await createTeamToken(t.databaseUrl, 'outage', 'deployer');
    await grantImage(t.databaseUrl, team.teamId, BUSYBOX_IMAGE);
  });
  afterAll(async () => {
    await proxy?.close();
    // The app first: a running reconciler would replace replicas removed under it.
    await t?.close();
    await removeContainersByLabel('io.berth.team', team?.teamId);
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits with EngineUnavailable while the engine is gone, and finishes the rollout when it returns', async () => {
    await proxy.down();
    const res = await t.http.put('/deployments/svc').set(auth(team.token)).send({ image: BUSYBOX_IMAGE, command: ['sleep', '3600'], replicas: 2 });
    expect(res.status).toBe(202);
    const opId = res.body.operation.id;
    await waitFor(async () => {
      const op = await t.http.get(`/operations/${opId}`).set(auth(team.token));
      return op.body.status === 'running' && op.body.steps.some((s: { message: string }) => s.message.startsWith('Docker Engine unavailable'));
    }, { what: 'the operation to report the engine as unavailable', timeoutMs: 30_000 });
    const dep = await t.http.get('/deployments/svc').set(auth(team.token));
    expect(dep.body.status.conditions).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'EngineUnavailable', status: 'True' })]));

    await proxy.up();
    const op = await waitOperation(t.url, team.token, opId, 120);
    expect(op.body.status).toBe('succeeded');
    const list = await replicaContainers(team.teamId, 'svc');
    expect(list).toHaveLength(2);
    expect(list.every(isReady)).toBe(true);
    const after = await t.http.get('/deployments/svc').set(auth(team.token));
    expect(after.body.status.conditions.find((c: { type: string }) => c.type === 'EngineUnavailable')).toBeUndefined();
  });
});
