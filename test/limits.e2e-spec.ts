import { randomUUID } from 'node:crypto';
import { auth, startTestApp, TestApp } from './helpers/app';
import { query } from './helpers/database';
import { grantImage } from './helpers/deployments';
import { BUSYBOX_IMAGE, removeContainersByLabel } from './helpers/docker';
import { createTeamToken, TeamToken } from './helpers/tokens';
import { waitFor } from './helpers/wait';

describe('Abuse limits', () => {
  describe('per-token rate limits', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ env: { BERTH_RATE_LIMIT_READS: '5', BERTH_RATE_LIMIT_WRITES: '3', BERTH_RATE_LIMIT_WINDOW_MS: '600000' } });
    });
    afterAll(async () => t?.close());

    it('answers 429 RATE_LIMITED with Retry-After once a token used up its reads', async () => {
      const a = await createTeamToken(t.databaseUrl, 'reads', 'viewer');
      for (let i = 0; i < 5; i++) expect((await t.http.get('/registries').set(auth(a.token))).status).toBe(200);
      const limited = await t.http.get('/registries').set(auth(a.token));
      expect(limited.status).toBe(429);
      expect(limited.body).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED', message: expect.stringContaining('BERTH_RATE_LIMIT_READS'), requestId: expect.any(String) });
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(600);
      // Any read route: the bucket is the token's, not the route's.
      expect((await t.http.get('/deployments').set(auth(a.token))).status).toBe(429);
    });

    it('tracks tokens, not addresses (so it runs after AuthGuard): another token from the same address is not limited', async () => {
      const a = await createTeamToken(t.databaseUrl, 'order-a', 'viewer');
      const b = await createTeamToken(t.databaseUrl, 'order-b', 'viewer');
      for (let i = 0; i < 5; i++) await t.http.get('/registries').set(auth(a.token));
      expect((await t.http.get('/registries').set(auth(a.token))).status).toBe(429);
      expect((await t.http.get('/registries').set(auth(b.token))).status).toBe(200);
    });

    it('limits mutating requests separately, whatever they answer, and records the 429 in the audit log', async () => {
      const w = await createTeamToken(t.databaseUrl, 'writes', 'admin');
      for (let i = 0; i < 3; i++) expect((await t.http.post(`/deployments/nothing-${i}/scale`).set(auth(w.token)).send({ replicas: 1 })).status).toBe(404);
      const limited = await t.http.post('/deployments/nothing/scale').set(auth(w.token)).send({ replicas: 1 });
      expect(limited.status).toBe(429);
      expect(limited.body).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('BERTH_RATE_LIMIT_WRITES') });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // Reads are a bucket of their own.
      expect((await t.http.get('/registries').set(auth(w.token))).status).toBe(200);
      const [row] = await waitFor(
        () => query(t.databaseUrl, "SELECT result, status_code FROM audit_entries WHERE token_id = $1 AND status_code = 429", [w.tokenId]).then((r) => (r.length ? r : undefined)),
        { what: 'the 429 in the audit log' },
      );
      expect(row).toEqual({ result: 'denied', status_code: 429 });
    });

    it('exempts health checks', async () => {
      for (let i = 0; i < 12; i++) expect((await t.http.get('/health/live')).status).toBe(200);
    });
  });

  describe('body size, pagination caps and the team operation cap', () => {
    let t: TestApp;
    let team: TeamToken;

    beforeAll(async () => {
      t = await startTestApp({ env: { BERTH_BODY_LIMIT_BYTES: '4096', BERTH_MAX_ACTIVE_OPERATIONS_PER_TEAM: '2' } });
      team = await createTeamToken(t.databaseUrl, 'capped', 'admin');
      await grantImage(t.databaseUrl, team.teamId, BUSYBOX_IMAGE);
    });
    afterAll(async () => {
      // The app first: a running reconciler would replace replicas removed under it.
      await t?.close();
      await removeContainersByLabel('io.berth.team', team?.teamId);
    });

    it('answers 413 PAYLOAD_TOO_LARGE for a JSON or YAML body over BERTH_BODY_LIMIT_BYTES', async () => {
      const big = await t.http.post('/registries').set(auth(team.token)).send({ name: 'big', serverAddress: '127.0.0.1:5999', username: 'x'.repeat(5000) });
      expect(big.status).toBe(413);
      expect(big.body).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('4096') });
      const yaml = await t.http.put('/deployments/big').set(auth(team.token)).set('Content-Type', 'application/yaml').send(`image: ${BUSYBOX_IMAGE}\n# ${'y'.repeat(5000)}\n`);
      expect(yaml.status).toBe(413);
      expect(yaml.body.code).toBe('PAYLOAD_TOO_LARGE');
      // Under the limit the same route works.
      expect((await t.http.post('/registries').set(auth(team.token)).send({ name: 'small', serverAddress: '127.0.0.1:5999' })).status).toBe(201);
    });

    it.each([
      ['/deployments', 'limit', 201],
      ['/deployments', 'offset', 1_000_001],
      ['/deployments/any/operations', 'limit', 501],
      ['/containers', 'limit', 1001],
      ['/containers', 'offset', 1_000_001],
      ['/images', 'limit', 1001],
      ['/registries', 'limit', 1001],
      ['/audit', 'limit', 501],
    ] as const)('caps pagination on GET %s: %s=%d answers 400 naming the field', async (path, field, value) => {
      const res = await t.http.get(path).query({ [field]: String(value) }).set(auth(team.token));
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it('pages lists the engine answers in full, with X-Total-Count', async () => {
      for (const name of ['page-a', 'page-b']) await t.http.post('/registries').set(auth(team.token)).send({ name, serverAddress: '127.0.0.1:5999' });
      const all = await t.http.get('/registries').set(auth(team.token));
      expect(all.body.length).toBeGreaterThanOrEqual(3);
      const page = await t.http.get('/registries').query({ limit: '2', offset: '1' }).set(auth(team.token));
      expect(page.status).toBe(200);
      expect(page.headers['x-total-count']).toBe(String(all.body.length));
      expect(page.body.map((r: { id: string }) => r.id)).toEqual(all.body.slice(1, 3).map((r: { id: string }) => r.id));
    });

    it('refuses a new operation with 429 once the team has BERTH_MAX_ACTIVE_OPERATIONS_PER_TEAM pending or running, and creates nothing', async () => {
      // Two long-running operations of the team (as a slow pull and build would be).
      const busy = [randomUUID(), randomUUID()];
      for (const id of busy) await query(t.databaseUrl, `INSERT INTO operations (id, team_id, kind, status, started_at) VALUES ($1, $2, 'pull', 'running', now())`, [id, team.teamId]);
      const count = async () => Number((await query<{ n: string }>(t.databaseUrl, 'SELECT count(*)::text AS n FROM operations WHERE team_id = $1', [team.teamId]))[0].n);
      const before = await count();

      const apply = await t.http.put('/deployments/capped').set(auth(team.token)).send({ image: BUSYBOX_IMAGE, command: ['sleep', '3600'], replicas: 0 });
      expect(apply.status).toBe(429);
      expect(apply.body).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('BERTH_MAX_ACTIVE_OPERATIONS_PER_TEAM=2'), details: [expect.objectContaining({ field: 'operations', rule: 'max:2' })] });
      expect((await t.http.get('/deployments/capped').set(auth(team.token))).status).toBe(404);

      const pull = await t.http.post('/images/pull').set(auth(team.token)).send({ image: '127.0.0.1:9/capped/nothing:1' });
      expect(pull.status).toBe(429);
      expect(pull.body.code).toBe('RATE_LIMITED');
      expect(await count()).toBe(before);

      // Another team is not affected by this team's operations.
      const other = await createTeamToken(t.databaseUrl, 'uncapped', 'admin');
      await grantImage(t.databaseUrl, other.teamId, BUSYBOX_IMAGE);
      const otherApply = await t.http.put('/deployments/free').set(auth(other.token)).send({ image: BUSYBOX_IMAGE, command: ['sleep', '3600'], replicas: 0 });
      await removeContainersByLabel('io.berth.team', other.teamId);
      expect(otherApply.status).toBe(202);

      // Once they finish, the team may start operations again.
      await query(t.databaseUrl, "UPDATE operations SET status = 'succeeded', finished_at = now() WHERE id = ANY($1::uuid[])", [busy]);
      const again = await t.http.put('/deployments/capped').set(auth(team.token)).send({ image: BUSYBOX_IMAGE, command: ['sleep', '3600'], replicas: 0 });
      expect(again.status).toBe(202);
    });
  });
});
