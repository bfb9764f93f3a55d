import { auth, startTestApp, TestApp } from './helpers/app';
import { grantImage, waitOperation } from './helpers/deployments';
import { BUSYBOX_IMAGE, removeContainersByLabel } from './helpers/docker';
import { StreamClient } from './helpers/stream';
import { createTeamToken, TeamToken } from './helpers/tokens';

describe('/ws with real deployments', () => {
  let t: TestApp;
  let team: TeamToken;
  let ws: StreamClient;
  const spec = (line: string) => ({
    image: BUSYBOX_IMAGE,
    command: ['sh', '-c', `while true; do echo ${line}; sleep 0.2; done`],
    replicas: 2,
    strategy: { type: 'rolling', maxSurge: 1, maxUnavailable: 0 },
  });

  beforeAll(async () => {
    t = await startTestApp();
    team = await createTeamToken(t.databaseUrl, 'live', 'deployer');
    await grantImage(t.databaseUrl, team.teamId, BUSYBOX_IMAGE);
    ws = await StreamClient.ready(t.url, team.token);
  });
  afterAll(async () => {
    await ws?.close();
    // The app first: a running reconciler would replace replicas removed under it.
    await t?.close();
    await removeContainersByLabel('io.berth.team', team?.teamId);
  });

  it('an apply arrives on `events` as revision-created, operation started, steps, succeeded — in order, seq increasing', async () => {
    await ws.subscribe('events', { kinds: ['deployment.*', 'operation.*'] });
    const res = await t.http.put('/deployments/live').set(auth(team.token)).send(spec('old'));
    expect(res.status).toBe(202);
    const opId = res.body.operation.id;
    await ws.waitFor((m) => m.type === 'event' && m.kind === 'operation.succeeded' && m.payload.operationId === opId, 'the rollout to succeed on the stream', 90_000);
    const events = ws.messages.filter((m) => m.type === 'event');
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    const kinds = events.filter((e) => e.kind.startsWith('deployment.') || e.payload.operationId === opId).map((e) => e.kind);
    const at = (k: string) => kinds.indexOf(k);
    expect(at('deployment.revision.created')).toBeGreaterThanOrEqual(0);
    expect(at('deployment.revision.created')).toBeLessThan(at('operation.started'));
    expect(at('operation.started')).toBeLessThan(at('operation.step'));
    expect(kinds.lastIndexOf('operation.step')).toBeLessThan(at('operation.succeeded'));
    expect((await waitOperation(t.url, team.token, opId)).body.status).toBe('succeeded');
  });

  it('deployments/<name>/logs keeps streaming across a rolling update, lines tagged by replica', async () => {
    await ws.subscribe('deployments/live/logs', { tail: 0 });
    await ws.waitFor((m) => m.type === 'log' && JSON.stringify(m).includes('old'), 'lines from revision 1', 60_000);
    const res = await t.http.put('/deployments/live').set(auth(team.token)).send(spec('new'));
    expect(res.status).toBe(202);
    await ws.waitFor((m) => m.type === 'log' && JSON.stringify(m).includes('new'), 'lines from revision 2', 90_000);
    expect((await waitOperation(t.url, team.token, res.body.operation.id)).body.status).toBe('succeeded');
    const logs = ws.messages.filter((m) => m.type === 'log');
    const text = JSON.stringify(logs);
    expect(text).toContain('old');
    expect(text).toContain('new');
    for (const m of logs) expect(m).toMatchObject({ containerId: expect.any(String), slot: expect.any(Number), revision: expect.any(Number) });
    const lines = (rev: number) => logs.filter((m) => m.revision === rev).flatMap((m) => m.lines.map((l: { line: string }) => l.line));
    expect(lines(1)).toContain('old');
    expect(lines(2)).toContain('new');
    expect(lines(2)).not.toContain('old');
  });
});
