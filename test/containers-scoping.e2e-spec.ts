import { randomBytes } from 'node:crypto';
import type { Test } from 'supertest';
import { auth, startTestApp, TestApp } from './helpers/app';
import { BusyboxRegistry, removeTeamObjects, startBusyboxRegistry } from './helpers/containers';
import { BUSYBOX_IMAGE, docker, removeContainersByLabel } from './helpers/docker';
import { createTeamToken, defaultTeamId, TeamToken } from './helpers/tokens';

const suite = randomBytes(4).toString('hex');
const FOREIGN_LABEL = 'io.berth.test.scoping';

describe('Containers are team-scoped: another team’s container is invisible (404) on every route', () => {
  let t: TestApp;
  let a: TeamToken;
  let b: TeamToken;
  let registry: BusyboxRegistry;
  let image: string;
  let bContainer: { id: string; name: string };

  const as = (who: TeamToken | string) => auth(typeof who === 'string' ? who : who.token);
  const run = async (who: TeamToken, body: object) => {
    const res = await t.http.post('/containers').set(as(who)).send({ image, ...body });
    expect(res.status).toBe(201);
    return res.body.container as { id: string; name: string };
  };

  beforeAll(async () => {
    t = await startTestApp();
    a = await createTeamToken(t.databaseUrl, 'team-a', 'admin');
    b = await createTeamToken(t.databaseUrl, 'team-b', 'admin');
    registry = await startBusyboxRegistry();
    image = registry.image;
    bContainer = await run(b, { name: `scoping-b-${suite}`, command: ['sleep', '300'], volumes: [{ type: 'volume', source: `scoping-b-${suite}`, target: '/data' }] });
  });

  afterAll(async () => {
    try {
      for (const team of [a, b]) if (team) await removeTeamObjects(team.teamId);
      if (t) await removeTeamObjects(await defaultTeamId(t.databaseUrl));
      await removeContainersByLabel(FOREIGN_LABEL, suite);
    } finally {
      await registry?.stop();
      await t?.close();
    }
  });

  it('team A cannot list, inspect, act on, log, exec, stat or delete team B’s container, by id, short id or name', async () => {
    const listed = await t.http.get('/containers').query({ all: 'true' }).set(as(a));
    expect(listed.status).toBe(200);
    expect(listed.body.map((c: { id: string }) => c.id)).not.toContain(bContainer.id);

    const missing = await t.http.get(`/containers/no-such-${suite}`).set(as(a));
    expect(missing.status).toBe(404);
    for (const ref of [bContainer.id, bContainer.id.slice(0, 12), bContainer.name]) {
      const attempts: [string, () => Test][] = [
        ['inspect', () => t.http.get(`/containers/${ref}`)],
        ['logs', () => t.http.get(`/containers/${ref}/logs`)],
        ['follow logs', () => t.http.get(`/containers/${ref}/logs`).query({ follow: 'true' }).set('Accept', 'text/event-stream')],
        ['stats', () => t.http.get(`/containers/${ref}/stats`)],
        ['top', () => t.http.get(`/containers/${ref}/top`)],
        ['stop', () => t.http.post(`/containers/${ref}/stop`).query({ timeout: '0' })],
        ['start', () => t.http.post(`/containers/${ref}/start`)],
        ['restart', () => t.http.post(`/containers/${ref}/restart`)],
        ['pause', () => t.http.post(`/containers/${ref}/pause`)],
        ['unpause', () => t.http.post(`/containers/${ref}/unpause`)],
        ['kill', () => t.http.post(`/containers/${ref}/kill`)],
        ['exec', () => t.http.post(`/containers/${ref}/exec`).send({ cmd: ['true'] })],
        ['delete', () => t.http.delete(`/containers/${ref}`).query({ force: 'true' })],
      ];
      for (const [what, attempt] of attempts) {
        const res = await attempt().set(as(a));
        // Exactly what a container that does not exist gets: same status, code and sentence.
        expect([what, res.status, res.body.code]).toEqual([what, 404, 'NOT_FOUND']);
        expect(res.body.message).toBe(`Container ${JSON.stringify(ref)} not found`);
        if (ref !== bContainer.id) expect(JSON.stringify(res.body)).not.toContain(bContainer.id);
        if (ref === bContainer.name) expect(JSON.stringify(res.body)).not.toContain(bContainer.id.slice(0, 12));
      }
    }

    // Nothing happened to it.
    const inspect = await docker.getContainer(bContainer.id).inspect();
    expect(inspect.State).toMatchObject({ Status: 'running', Paused: false, Restarting: false });
    expect(inspect.RestartCount).toBe(0);
    const own = await t.http.get(`/containers/${bContainer.id}`).set(as(b));
    expect(own.body).toMatchObject({ state: { status: 'running' }, berth: { team: b.teamId } });
  });

  it('a name another team uses is a conflict that does not reveal the other container', async () => {
    const res = await t.http.post('/containers').set(as(a)).send({ image, name: bContainer.name, command: ['true'] });
    expect(res.status).toBe(409);
    expect(res.body.message).toBe(`Container run failed at step create: The container name ${JSON.stringify(bContainer.name)} is already in use on this host`);
    expect(JSON.stringify(res.body)).not.toContain(bContainer.id.slice(0, 12));
    const op = await t.http.get(`/operations/${res.headers['x-operation-id']}`).set(as(a));
    expect(JSON.stringify(op.body)).not.toContain(bContainer.id.slice(0, 12));
  });

  it('team A cannot mount team B’s named volume', async () => {
    const res = await t.http
      .post('/containers')
      .set(as(a))
      .send({ image, command: ['true'], volumes: [{ type: 'volume', source: `scoping-b-${suite}`, target: '/data' }] });
    expect(res.status).toBe(409);
    expect(res.body.message).toMatch(/is not available to this team/);
  });

  it('each team lists only its own containers; the owner token sees the whole host', async () => {
    const aContainer = await run(a, { command: ['sleep', '300'] });
    const ids = async (token: string) => ((await t.http.get('/containers').query({ all: 'true' }).set(as(token))).body as { id: string }[]).map((c) => c.id);
    expect(await ids(a.token)).toEqual([aContainer.id]);
    expect(await ids(b.token)).toEqual([bContainer.id]);
    expect(await ids(t.token)).toEqual(expect.arrayContaining([aContainer.id, bContainer.id]));
    const owner = await t.http.get(`/containers/${bContainer.id}`).set(as(t.token));
    expect(owner.body.berth).toEqual({ managed: true, team: b.teamId, adopted: false });
  });

  it('the owner can adopt a container Berth did not create into a team, which then sees and manages it', async () => {
    const foreign = await docker.createContainer({ Image: BUSYBOX_IMAGE, Cmd: ['sleep', '300'], name: `scoping-foreign-${suite}`, Labels: { [FOREIGN_LABEL]: suite } });
    await foreign.start();

    expect((await t.http.get(`/containers/${foreign.id}`).set(as(a))).status).toBe(404);
    const seen = await t.http.get(`/containers/${foreign.id}`).set(as(t.token));
    expect(seen.body.berth).toEqual({ managed: false, adopted: false });

    expect((await t.http.post(`/containers/${foreign.id}/adopt`).set(as(a)).send({ teamId: a.teamId })).status).toBe(403);
    expect((await t.http.post(`/containers/${bContainer.id}/adopt`).set(as(t.token)).send({ teamId: a.teamId })).status).toBe(409);
    expect((await t.http.post(`/containers/${foreign.id}/adopt`).set(as(t.token)).send({ teamId: '00000000-0000-4000-8000-000000000000' })).status).toBe(404);
    const invalid = await t.http.post(`/containers/${foreign.id}/adopt`).set(as(t.token)).send({ teamId: 'team-a' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.details).toEqual([expect.objectContaining({ field: 'teamId', rule: 'matches' })]);

    const adopted = await t.http.post(`/containers/${foreign.id}/adopt`).set(as(t.token)).send({ teamId: a.teamId });
    expect(adopted.status).toBe(200);
    expect(adopted.body.berth).toEqual({ managed: false, team: a.teamId, adopted: true });

    const listed = (await t.http.get('/containers').set(as(a))).body as { id: string; berth: object }[];
    expect(listed.find((c) => c.id === foreign.id)?.berth).toEqual({ managed: false, team: a.teamId, adopted: true });
    expect((await t.http.post(`/containers/${foreign.id}/stop`).query({ timeout: '0' }).set(as(a))).body.state.status).toBe('exited');
    expect((await t.http.get(`/containers/${foreign.id}`).set(as(b))).status).toBe(404);

    expect((await t.http.delete(`/containers/${foreign.id}`).set(as(a))).status).toBe(204);
    await expect(docker.getContainer(foreign.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('validates the container reference before looking anything up', async () => {
    const res = await t.http.get(`/containers/${'x'.repeat(129)}`).set(as(a));
    expect(res.status).toBe(400);
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'id', rule: 'containerRef' })]);
  });
});
