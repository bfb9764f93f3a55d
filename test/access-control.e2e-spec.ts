import { randomUUID } from 'node:crypto';
import { auth, startTestApp, TestApp } from './helpers/app';
import { BUSYBOX_IMAGE, docker, removeContainersByLabel } from './helpers/docker';
import { grantImage, waitOperation } from './helpers/deployments';
import { appRoutes, AppRoute } from './helpers/routes';
import { StreamClient } from './helpers/stream';
import { createTeamToken, defaultTeamId, TeamToken } from './helpers/tokens';
import { waitFor } from './helpers/wait';

type Need = 'public' | 'read' | 'deploy' | 'admin' | 'owner';

/**
 * What every route needs, and whether a token narrowed to some deployments may use it ("+n").
 * The test fails when the app has a route missing here (or here a route the app does not have),
 * so a new route cannot ship without a decision on who may call it.
 */
const EXPECTED: Record<string, `${Need}` | `${Need}+n`> = {
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /docs-asyncapi': 'public',
  'GET /docs-asyncapi.yaml': 'public',
  'GET /system': 'read+n',
  'GET /metrics': 'read',
  'POST /teams': 'owner',
  'GET /teams': 'read',
  'GET /teams/:id': 'read',
  'PATCH /teams/:id': 'owner',
  'DELETE /teams/:id': 'owner',
  'POST /teams/:id/tokens': 'admin',
  'GET /teams/:id/tokens': 'admin',
  'DELETE /teams/:id/tokens/:tokenId': 'admin',
  'GET /teams/:id/policy': 'admin',
  'PUT /teams/:id/policy': 'owner',
  'GET /audit': 'admin',
  'POST /registries': 'admin',
  'GET /registries': 'read',
  'GET /registries/:id': 'read',
  'PATCH /registries/:id': 'admin',
  'DELETE /registries/:id': 'admin',
  'POST /registries/:id/verify': 'admin',
  'GET /images': 'read+n',
  'POST /images/pull': 'deploy+n',
  'POST /images/build': 'deploy+n',
  'POST /images/prune': 'admin',
  'POST /images/*ref/tag': 'deploy+n',
  'POST /images/*ref/push': 'deploy+n',
  'GET /images/*ref': 'read+n',
  'DELETE /images/*ref': 'admin',
  'GET /containers': 'read',
  'POST /containers': 'deploy',
  'GET /containers/:id': 'read',
  'DELETE /containers/:id': 'admin',
  'POST /containers/:id/start': 'deploy',
  'POST /containers/:id/stop': 'deploy',
  'POST /containers/:id/restart': 'deploy',
  'POST /containers/:id/pause': 'deploy',
  'POST /containers/:id/unpause': 'deploy',
  'POST /containers/:id/kill': 'deploy',
  'GET /containers/:id/logs': 'read',
  'GET /containers/:id/stats': 'read',
  'GET /containers/:id/top': 'read',
  'POST /containers/:id/exec': 'admin',
  'POST /containers/:id/adopt': 'owner',
  'GET /operations/:id': 'read+n',
  'POST /operations/:id/cancel': 'deploy+n',
  'GET /deployments': 'read+n',
  'POST /deployments': 'deploy+n',
  'PUT /deployments/:name': 'deploy+n',
  'GET /deployments/:name': 'read+n',
  'DELETE /deployments/:name': 'admin+n',
  'GET /deployments/:name/revisions': 'read+n',
  'GET /deployments/:name/revisions/:number': 'read+n',
  'GET /deployments/:name/operations': 'read+n',
  'POST /deployments/:name/scale': 'deploy+n',
  'POST /deployments/:name/run': 'deploy+n',
  'POST /deployments/:name/stop': 'deploy+n',
  'POST /deployments/:name/restart': 'deploy+n',
  'POST /deployments/:name/migrate': 'deploy+n',
  'POST /deployments/:name/rollback': 'deploy+n',
};

const RANK = { viewer: 0, deployer: 1, admin: 2, owner: 3 } as const;
const NEED_RANK = { read: 0, deploy: 1, admin: 2, owner: 3 } as const;
type Role = keyof typeof RANK;

const parse = (spec: string) => {
  const [need, n] = spec.split('+') as [Need, string | undefined];
  return { need, narrowable: n === 'n' };
};

/**
 * A path with harmless values for its parameters: ids that exist nowhere, a deployment name the
 * narrowed token is allowed (so the service's own 404 answers, not the guard). Bodies carry an
 * unknown field, so an allowed call stops at validation and changes nothing.
 */
function concretePath(route: AppRoute, deployment: string): string {
  return route.path
    .replace(':tokenId', randomUUID())
    .replace(':id', randomUUID())
    .replace(':name', deployment)
    .replace(':number', '1')
    .replace('*ref', 'acl-probe/missing:1');
}

describe('Access control', () => {
  let t: TestApp;
  let tokens: Record<Role, TeamToken>;
  let narrowed: TeamToken;
  let teamB: TeamToken;
  const call = (method: string, path: string, token: string) => {
    const req = t.http[method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](path).set(auth(token));
    return method === 'GET' || method === 'DELETE' ? req : req.send({ aclProbeUnknownField: true });
  };

  beforeAll(async () => {
    t = await startTestApp();
    const teamId = await defaultTeamId(t.databaseUrl);
    tokens = {
      owner: { token: t.token, tokenId: '', teamId },
      admin: await createTeamToken(t.databaseUrl, 'acl-a', 'admin'),
      deployer: await createTeamToken(t.databaseUrl, 'acl-a', 'deployer'),
      viewer: await createTeamToken(t.databaseUrl, 'acl-a', 'viewer'),
    };
    narrowed = await createTeamToken(t.databaseUrl, 'acl-a', 'deployer', ['web']);
    teamB = await createTeamToken(t.databaseUrl, 'acl-b', 'admin');
    await grantImage(t.databaseUrl, tokens.admin.teamId, BUSYBOX_IMAGE);
    await grantImage(t.databaseUrl, teamB.teamId, BUSYBOX_IMAGE);
  });
  afterAll(async () => {
    // The app first: a running reconciler would replace replicas removed under it.
    await t?.close();
    for (const team of [tokens?.admin?.teamId, teamB?.teamId]) if (team) await removeContainersByLabel('io.berth.team', team);
  });

  describe('the route table', () => {
    it('every route of the app has an expected permission here, and every entry here is a route', () => {
      const actual = appRoutes(t.app).map((r) => r.key).sort();
      expect(actual).toEqual(Object.keys(EXPECTED).sort());
    });

    it('every route declares exactly the permission expected (@Requires or @Public)', () => {
      for (const route of appRoutes(t.app)) {
        const declared = route.public ? 'public' : route.rule ? `${route.rule.permission}${route.rule.narrowable ? '+n' : ''}` : 'none';
        expect(`${route.key} → ${declared}`).toBe(`${route.key} → ${EXPECTED[route.key]}`);
      }
    });

    it('for each role × route: allowed below the line, 403 FORBIDDEN above it; narrowed tokens only on narrowable routes', async () => {
      const failures: string[] = [];
      for (const route of appRoutes(t.app)) {
        const { need, narrowable } = parse(EXPECTED[route.key]);
        const cases: Array<{ who: string; token: string; allowed: boolean; deployment: string }> = [];
        for (const role of Object.keys(RANK) as Role[]) {
          cases.push({ who: role, token: tokens[role].token, allowed: need === 'public' || RANK[role] >= NEED_RANK[need as keyof typeof NEED_RANK], deployment: 'acl-probe-missing' });
        }
        cases.push({ who: 'deployer narrowed to web', token: narrowed.token, allowed: need === 'public' || (narrowable && NEED_RANK[need as keyof typeof NEED_RANK] <= RANK.deployer), deployment: 'web' });
        for (const c of cases) {
          const res = await call(route.method, concretePath(route, c.deployment), c.token);
          const denied = res.status === 403 && res.body.code === 'FORBIDDEN';
          if (c.allowed === denied || res.status === 401 || res.status >= 500) failures.push(`${route.key} as ${c.who}: ${res.status} ${res.body?.message ?? ''}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('without a token every non-public route answers 401', async () => {
      for (const route of appRoutes(t.app).filter((r) => !r.public)) {
        const res = await t.http[route.method.toLowerCase() as 'get'](concretePath(route, 'x'));
        expect(`${route.key} ${res.status}`).toBe(`${route.key} 401`);
      }
    });
  });

  describe('teams and tokens', () => {
    it('the owner creates a team and mints its token; the secret is shown once, listings never show it', async () => {
      const team = await t.http.post('/teams').set(auth(t.token)).send({ name: 'payments' });
      expect(team.status).toBe(201);
      expect(team.body).toMatchObject({ id: expect.any(String), name: 'payments' });
      const created = await t.http.post(`/teams/${team.body.id}/tokens`).set(auth(t.token)).send({ name: 'ci', role: 'deployer', deployments: ['web'] });
      expect(created.status).toBe(201);
      expect(created.body.token).toMatch(/^brt_[A-Za-z0-9]+$/);
      expect(created.body).toMatchObject({ name: 'ci', role: 'deployer', deployments: ['web'], prefix: created.body.token.slice(0, 12), revokedAt: null });
      const list = await t.http.get(`/teams/${team.body.id}/tokens`).set(auth(t.token));
      expect(list.status).toBe(200);
      expect(list.body).toHaveLength(1);
      expect(list.body[0]).toMatchObject({ id: created.body.id, name: 'ci', lastUsedAt: null });
      expect(JSON.stringify(list.body)).not.toContain(created.body.token);
      expect(list.body[0]).not.toHaveProperty('hash');
      expect(list.body[0]).not.toHaveProperty('token');
      // The narrowed token works on deployments only; a plain one reads its own team and nothing more.
      expect((await t.http.get('/deployments').set(auth(created.body.token))).status).toBe(200);
      expect((await t.http.get('/teams').set(auth(created.body.token))).status).toBe(403);
      const plain = await t.http.post(`/teams/${team.body.id}/tokens`).set(auth(t.token)).send({ name: 'ops', role: 'viewer' });
      const me = await t.http.get('/teams').set(auth(plain.body.token));
      expect(me.body.map((x: { name: string }) => x.name)).toEqual(['payments']);
      expect((await t.http.post('/teams').set(auth(plain.body.token)).send({ name: 'nope' })).status).toBe(403);
      expect((await t.http.post('/teams').set(auth(t.token)).send({ name: 'payments' })).status).toBe(409);
      expect((await t.http.post('/teams').set(auth(t.token)).send({ name: 'Not A Label' })).body.details[0]).toMatchObject({ field: 'name', rule: 'matches' });
    });

    it('an admin mints tokens up to its own role for its own team only; never an owner token', async () => {
      const a = tokens.admin;
      const mint = (teamId: string, role: string) => t.http.post(`/teams/${teamId}/tokens`).set(auth(a.token)).send({ name: `x-${role}`, role });
      expect((await mint(a.teamId, 'viewer')).status).toBe(201);
      expect((await mint(a.teamId, 'admin')).status).toBe(201);
      const owner = await mint(a.teamId, 'owner');
      expect(owner.status).toBe(403);
      expect(owner.body.details[0]).toMatchObject({ field: 'role' });
      expect((await mint(teamB.teamId, 'viewer')).status).toBe(404);
      expect((await t.http.get(`/teams/${teamB.teamId}/tokens`).set(auth(a.token))).status).toBe(404);
      expect((await t.http.get(`/teams/${teamB.teamId}`).set(auth(a.token))).status).toBe(404);
      const past = await t.http.post(`/teams/${a.teamId}/tokens`).set(auth(a.token)).send({ name: 'old', role: 'viewer', expiresAt: '2020-01-01T00:00:00Z' });
      expect(past.status).toBe(400);
      expect(past.body.details[0]).toMatchObject({ field: 'expiresAt', rule: 'future' });
    });

    it('a token stops working when it expires', async () => {
      const soon = new Date(Date.now() + 1500).toISOString();
      const res = await t.http.post(`/teams/${tokens.admin.teamId}/tokens`).set(auth(tokens.admin.token)).send({ name: 'short', role: 'viewer', expiresAt: soon });
      expect(res.status).toBe(201);
      expect((await t.http.get('/teams').set(auth(res.body.token))).status).toBe(200);
      const expired = await waitFor(async () => {
        const r = await t.http.get('/teams').set(auth(res.body.token));
        return r.status === 401 ? r : undefined;
      }, { what: 'the token to expire', timeoutMs: 10_000, intervalMs: 200 });
      expect(expired.body.message).toBe('Token has expired');
    });

    it('a revoked token fails on its next request and its open WebSocket is closed with 4401', async () => {
      const created = await t.http.post(`/teams/${tokens.admin.teamId}/tokens`).set(auth(tokens.admin.token)).send({ name: 'to-revoke', role: 'viewer' });
      const secret = created.body.token as string;
      expect((await t.http.get('/containers').set(auth(secret))).status).toBe(200);
      const ws = await StreamClient.ready(t.url, secret);
      await ws.subscribe('events');
      // A viewer cannot revoke anyone; an admin can.
      expect((await t.http.delete(`/teams/${tokens.admin.teamId}/tokens/${created.body.id}`).set(auth(tokens.viewer.token))).status).toBe(403);
      const revoked = await t.http.delete(`/teams/${tokens.admin.teamId}/tokens/${created.body.id}`).set(auth(tokens.admin.token));
      expect(revoked.status).toBe(200);
      expect(revoked.body.revokedAt).toEqual(expect.any(String));
      const next = await t.http.get('/containers').set(auth(secret));
      expect(next.status).toBe(401);
      expect(next.body.message).toBe('Token has been revoked');
      expect(await ws.closedBy(10_000)).toMatchObject({ code: 4401, reason: 'Token has been revoked' });
      // Reconnecting with it is refused too.
      const again = await StreamClient.open(t.url, { token: secret });
      expect((await again.closedBy(10_000)).code).toBe(4401);
    });

    it('an admin cannot revoke a token of a higher role (the owner’s)', async () => {
      const ownerToken = await createTeamToken(t.databaseUrl, 'acl-a', 'owner');
      const res = await t.http.delete(`/teams/${tokens.admin.teamId}/tokens/${ownerToken.tokenId}`).set(auth(tokens.admin.token));
      expect(res.status).toBe(403);
      expect((await t.http.get('/system').set(auth(ownerToken.token))).status).toBe(200);
    });

    it('a team with deployments, or holding an owner token, cannot be deleted; an empty one can', async () => {
      expect((await t.http.delete(`/teams/${tokens.owner.teamId}`).set(auth(t.token))).status).toBe(409);
      const empty = await t.http.post('/teams').set(auth(t.token)).send({ name: 'short-lived' });
      await t.http.post(`/teams/${empty.body.id}/tokens`).set(auth(t.token)).send({ name: 'v', role: 'viewer' });
      expect((await t.http.delete(`/teams/${empty.body.id}`).set(auth(t.token))).status).toBe(204);
      expect((await t.http.get(`/teams/${empty.body.id}`).set(auth(t.token))).status).toBe(404);
    });
  });

  describe('a pipeline token narrowed to deployment web', () => {
    const spec = { image: BUSYBOX_IMAGE, command: ['sleep', '3600'], replicas: 1, strategy: { type: 'recreate' } };

    it('rolls out web, and gets 403 on api (apply, read and actions) and on routes outside deployments', async () => {
      const res = await t.http.put('/deployments/web').set(auth(narrowed.token)).send(spec);
      expect(res.status).toBe(202);
      const op = await waitOperation(t.url, narrowed.token, res.body.operation.id);
      expect(op.body.status).toBe('succeeded');
      expect((await t.http.get('/deployments/web').set(auth(narrowed.token))).status).toBe(200);

      const api = await t.http.put('/deployments/api').set(auth(narrowed.token)).send(spec);
      expect(api.status).toBe(403);
      expect(api.body.message).toContain('limited to the deployments web');
      expect((await t.http.get('/deployments/api').set(auth(narrowed.token))).status).toBe(403);
      expect((await t.http.post('/deployments/api/scale').set(auth(narrowed.token)).send({ replicas: 2 })).status).toBe(403);
      expect((await t.http.post('/containers').set(auth(narrowed.token)).send({ image: BUSYBOX_IMAGE, command: ['true'] })).status).toBe(403);
      // Nothing was written for api.
      expect((await t.http.get('/deployments/api').set(auth(tokens.admin.token))).status).toBe(404);
    });

    it('sees only web in lists, web’s operations, and web’s events on /ws', async () => {
      const other = await t.http.put('/deployments/api').set(auth(tokens.admin.token)).send({ ...spec, replicas: 0 });
      expect(other.status).toBe(202);
      const otherOp = other.body.operation.id as string;
      await waitOperation(t.url, tokens.admin.token, otherOp);
      const list = await t.http.get('/deployments').set(auth(narrowed.token));
      expect(list.body.items.map((d: { name: string }) => d.name)).toEqual(['web']);
      expect((await t.http.get(`/operations/${otherOp}`).set(auth(narrowed.token))).status).toBe(404);

      const ws = await StreamClient.ready(t.url, narrowed.token);
      try {
        await ws.subscribe('events');
        const refused = await ws.request({ type: 'subscribe', topic: 'deployments/api' }, 'subscribed');
        expect(refused).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
        expect((await ws.request({ type: 'subscribe', topic: `operations/${otherOp}` }, 'subscribed')).code).toBe('NOT_FOUND');
        const apiScale = await t.http.post('/deployments/api/scale').set(auth(tokens.admin.token)).send({ replicas: 0 });
        const webScale = await t.http.post('/deployments/web/scale').set(auth(narrowed.token)).send({ replicas: 1 });
        expect([apiScale.status, webScale.status]).toEqual([202, 202]);
        await ws.waitFor((m) => m.type === 'event' && m.payload?.operationId === webScale.body.id, 'an event about web');
        await waitOperation(t.url, tokens.admin.token, apiScale.body.id);
        await waitOperation(t.url, narrowed.token, webScale.body.id);
        const events = ws.of('event', 'events');
        expect(events.length).toBeGreaterThan(0);
        expect(events.filter((e) => e.payload?.operationId === apiScale.body.id || e.payload?.deployment === 'api' || e.subject === 'deployments/api')).toEqual([]);
      } finally {
        await ws.close();
      }
    });
  });

  describe('team isolation', () => {
    let bContainer: string;
    let bRegistry: string;
    let bOperation: string;
    const B_IMAGE = `acl-b/private:${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      const run = await t.http.post('/containers').set(auth(teamB.token)).send({ image: BUSYBOX_IMAGE, command: ['sh', '-c', 'echo team-b-secret-line; sleep 3600'] });
      expect(run.status).toBe(201);
      bContainer = run.body.container.id;
      const reg = await t.http.post('/registries').set(auth(teamB.token)).send({ name: 'b-reg', serverAddress: '127.0.0.1:5999', username: 'b', password: 'b-registry-password' });
      expect(reg.status).toBe(201);
      bRegistry = reg.body.id;
      const dep = await t.http.put('/deployments/b-web').set(auth(teamB.token)).send({ image: BUSYBOX_IMAGE, command: ['sleep', '3600'], replicas: 1, strategy: { type: 'recreate' } });
      expect(dep.status).toBe(202);
      bOperation = dep.body.operation.id;
      expect((await waitOperation(t.url, teamB.token, bOperation)).body.status).toBe('succeeded');
      const tagged = await t.http.post(`/images/${BUSYBOX_IMAGE}/tag`).set(auth(teamB.token)).send({ target: B_IMAGE });
      expect(tagged.status).toBe(201);
    });
    afterAll(async () => {
      await docker.getImage(B_IMAGE).remove().catch(() => undefined);
    });

    it('team A cannot see or touch B’s containers, registries, deployments, operations or images over HTTP (404)', async () => {
      const a = tokens.admin.token;
      const list = await t.http.get('/containers?all=true').set(auth(a));
      expect(list.body.map((c: { id: string }) => c.id)).not.toContain(bContainer);
      for (const [method, path] of [
        ['GET', `/containers/${bContainer}`],
        ['GET', `/containers/${bContainer}/logs`],
        ['POST', `/containers/${bContainer}/stop`],
        ['DELETE', `/containers/${bContainer}?force=true`],
        ['GET', `/registries/${bRegistry}`],
        ['DELETE', `/registries/${bRegistry}`],
        ['GET', '/deployments/b-web'],
        ['POST', '/deployments/b-web/scale'],
        ['GET', `/operations/${bOperation}`],
        ['GET', `/images/${B_IMAGE}`],
        ['DELETE', `/images/${B_IMAGE}`],
        ['POST', `/images/${B_IMAGE}/push`],
      ] as const) {
        const req = t.http[method.toLowerCase() as 'get'](path).set(auth(a));
        const res = method === 'POST' && path.endsWith('scale') ? await req.send({ replicas: 3 }) : await req;
        expect(`${method} ${path} ${res.status}`).toBe(`${method} ${path} 404`);
      }
      const registries = await t.http.get('/registries').set(auth(a));
      expect(registries.body.map((r: { id: string }) => r.id)).not.toContain(bRegistry);
      const deployments = await t.http.get('/deployments').set(auth(a));
      expect(deployments.body.items.map((d: { name: string }) => d.name)).not.toContain('b-web');
      const images = await t.http.get('/images').set(auth(a));
      expect(JSON.stringify(images.body)).not.toContain(B_IMAGE);
      expect((await t.http.get('/images').set(auth(teamB.token))).text).toContain(B_IMAGE);
      // A's audit log holds A's acts (including these refused attempts), none of B's.
      const audit = await t.http.get('/audit?limit=500').set(auth(a));
      expect(audit.status).toBe(200);
      expect(audit.body.items.length).toBeGreaterThan(0);
      expect(audit.body.items.filter((e: { teamId: string }) => e.teamId !== tokens.admin.teamId)).toEqual([]);
      expect((await t.http.get(`/audit?teamId=${teamB.teamId}`).set(auth(a))).body.items).toEqual([]);
      // B's things are untouched.
      expect((await docker.getContainer(bContainer).inspect()).State.Running).toBe(true);
      // And B's registry password appears nowhere, not even for B or the owner.
      for (const token of [teamB.token, t.token]) {
        const r = await t.http.get(`/registries/${bRegistry}`).set(auth(token));
        expect(r.status).toBe(200);
        expect(JSON.stringify(r.body)).not.toContain('b-registry-password');
      }
    });

    it('team A cannot follow B’s events, operations or logs over /ws', async () => {
      const ws = await StreamClient.ready(t.url, tokens.admin.token);
      try {
        expect((await ws.request({ type: 'subscribe', topic: `operations/${bOperation}` }, 'subscribed')).code).toBe('NOT_FOUND');
        expect((await ws.request({ type: 'subscribe', topic: `containers/${bContainer}/logs` }, 'subscribed')).code).toBe('NOT_FOUND');
        await ws.subscribe('events', { since: 0 });
        await ws.subscribe('deployments/b-web/logs', { tail: 100 });
        // B acts; A acts after it. A sees its own event and nothing of B's.
        const bScale = await t.http.post('/deployments/b-web/scale').set(auth(teamB.token)).send({ replicas: 0 });
        await waitOperation(t.url, teamB.token, bScale.body.id);
        const aDep = await t.http.put('/deployments/a-marker').set(auth(tokens.admin.token)).send({ image: BUSYBOX_IMAGE, command: ['true'], replicas: 0 });
        await ws.waitFor((m) => m.type === 'event' && m.payload?.operationId === aDep.body.operation.id, 'A’s own event');
        const leaked = ws.messages.filter((m) => m.teamId === teamB.teamId || m.payload?.operationId === bScale.body.id || m.payload?.operationId === bOperation || JSON.stringify(m).includes('team-b-secret-line'));
        expect(leaked).toEqual([]);
      } finally {
        await ws.close();
      }
    });
  });
});
