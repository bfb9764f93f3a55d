import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { auth, startTestApp, TestApp } from './helpers/app';
import { query } from './helpers/database';
import { BUSYBOX_IMAGE, docker, removeContainersByLabel } from './helpers/docker';
import { StreamClient } from './helpers/stream';
import { createTeamToken, defaultTeamId, TeamToken } from './helpers/tokens';
import { waitFor } from './helpers/wait';

const RUN_LABEL = 'io.berth.test.run';
const RUN = `audit-${randomBytes(4).toString('hex')}`;
const SECRET = `s3cret-${randomBytes(12).toString('hex')}`;

describe('Audit log', () => {
  let t: TestApp;
  let teamA: string;
  let adminA: TeamToken;
  let viewerA: TeamToken;
  let adminB: TeamToken;
  let containerId: string;
  const clients: StreamClient[] = [];

  /** GET /audit as `token`, waiting until `match` finds a row (writes happen after the response). */
  const rows = async (token: string, q: Record<string, string> = {}) => {
    const res = await t.http.get('/audit').query(q).set(auth(token));
    expect(res.status).toBe(200);
    return res.body.items as any[];
  };
  const waitForRow = (token: string, match: (r: any) => boolean, q: Record<string, string> = {}, what = 'an audit row') =>
    waitFor(async () => (await rows(token, q)).find(match), { what });

  beforeAll(async () => {
    t = await startTestApp();
    teamA = await defaultTeamId(t.databaseUrl);
    adminA = await createTeamToken(t.databaseUrl, 'default', 'admin');
    viewerA = await createTeamToken(t.databaseUrl, 'default', 'viewer');
    adminB = await createTeamToken(t.databaseUrl, 'team-b', 'admin');
    const container: Docker.Container = await docker.createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ['sh', '-c', "trap 'exit 0' TERM; echo hello-audit; while true; do sleep 1 & wait $!; done"],
      Labels: { [RUN_LABEL]: RUN, 'io.berth.team': teamA },
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    containerId = (await container.inspect()).Id;
  });

  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await removeContainersByLabel(RUN_LABEL, RUN);
    await t?.close();
  });

  it('records a mutation with who, what, target, result, request id, time and source IP', async () => {
    const before = Date.now();
    const created = await t.http.post('/registries').set(auth(adminA.token)).set('X-Request-Id', `audit-create-${RUN}`).send({ name: 'audited', serverAddress: '127.0.0.1:5999', username: 'bot', password: SECRET });
    expect(created.status).toBe(201);
    const removed = await t.http.delete(`/registries/${created.body.id}`).set(auth(adminA.token));
    expect(removed.status).toBe(204);

    const create = await waitForRow(adminA.token, (r) => r.requestId === `audit-create-${RUN}`);
    expect(create).toMatchObject({ tokenId: adminA.tokenId, teamId: teamA, method: 'POST', action: 'POST /registries', target: null, result: 'ok', statusCode: 201, sourceIp: expect.stringMatching(/127\.0\.0\.1/) });
    expect(Date.parse(create.at)).toBeGreaterThanOrEqual(before - 1000);
    const del = await waitForRow(adminA.token, (r) => r.action === 'DELETE /registries/:id');
    expect(del).toMatchObject({ tokenId: adminA.tokenId, target: created.body.id, result: 'ok', statusCode: 204, requestId: removed.headers['x-request-id'] });
  });

  it('records refused requests: 401 without a valid token, 403 for a viewer, 404 for a missing target', async () => {
    const unauth = await t.http.post('/deployments/web/scale').set(auth('brt_not-a-real-token-at-all-000000000000')).send({ replicas: 1 });
    expect(unauth.status).toBe(401);
    const forbidden = await t.http.post('/registries').set(auth(viewerA.token)).send({ name: 'nope', serverAddress: '127.0.0.1:5998' });
    expect(forbidden.status).toBe(403);
    const missing = await t.http.post('/deployments/no-such-deployment/scale').set(auth(adminA.token)).send({ replicas: 2 });
    expect(missing.status).toBe(404);

    // The 401 has no principal, so no team: only the owner sees it.
    const u = await waitForRow(t.token, (r) => r.requestId === unauth.headers['x-request-id']);
    expect(u).toMatchObject({ tokenId: null, teamId: null, action: 'POST /deployments/:name/scale', target: 'web', result: 'denied', statusCode: 401, details: { code: 'UNAUTHENTICATED' } });
    const f = await waitForRow(adminA.token, (r) => r.requestId === forbidden.headers['x-request-id']);
    expect(f).toMatchObject({ tokenId: viewerA.tokenId, teamId: teamA, action: 'POST /registries', result: 'denied', statusCode: 403, details: { code: 'FORBIDDEN' } });
    const m = await waitForRow(adminA.token, (r) => r.requestId === missing.headers['x-request-id']);
    expect(m).toMatchObject({ tokenId: adminA.tokenId, action: 'POST /deployments/:name/scale', target: 'no-such-deployment', result: 'denied', statusCode: 404 });
  });

  it('never records a secret: not the registry password, not a token', async () => {
    // Secrets also in a query string, where a careless log would pick them up.
    await t.http.post('/registries').query({ password: SECRET }).set(auth(adminA.token)).send({ name: 'secretive', serverAddress: '127.0.0.1:5997', username: 'bot', password: SECRET });
    await waitForRow(adminA.token, (r) => r.action === 'POST /registries' && r.details?.query);
    const dump = await query<{ row: string }>(t.databaseUrl, 'SELECT row_to_json(a)::text AS row FROM audit_entries a');
    expect(dump.length).toBeGreaterThan(0);
    const all = dump.map((d) => d.row).join('\n');
    for (const secret of [SECRET, t.token, adminA.token, viewerA.token, adminB.token]) expect(all).not.toContain(secret);
    expect(all).toContain('[redacted]');
  });

  it("scopes rows by team: team A's admin never sees team B's rows, the owner sees both; a viewer gets 403", async () => {
    const b = await t.http.post('/registries').set(auth(adminB.token)).send({ name: 'team-b-reg', serverAddress: '127.0.0.1:5996' });
    expect(b.status).toBe(201);
    const bRow = await waitForRow(adminB.token, (r) => r.requestId === b.headers['x-request-id']);
    expect(bRow.teamId).toBe(adminB.teamId);

    const asA = await rows(adminA.token, { limit: '500' });
    expect(asA.length).toBeGreaterThan(0);
    expect(asA.every((r) => r.teamId === teamA)).toBe(true);
    expect(asA.find((r) => r.id === bRow.id)).toBeUndefined();
    // Asking for team B's rows by id finds nothing rather than team B's rows.
    expect(await rows(adminA.token, { teamId: adminB.teamId })).toEqual([]);
    expect((await rows(adminB.token, { limit: '500' })).every((r) => r.teamId === adminB.teamId)).toBe(true);

    const asOwner = await rows(t.token, { limit: '500' });
    expect(asOwner.some((r) => r.teamId === teamA)).toBe(true);
    expect(asOwner.some((r) => r.id === bRow.id)).toBe(true);
    expect((await rows(t.token, { teamId: adminB.teamId })).every((r) => r.teamId === adminB.teamId)).toBe(true);

    const viewer = await t.http.get('/audit').set(auth(viewerA.token));
    expect(viewer.status).toBe(403);
    expect(viewer.body.code).toBe('FORBIDDEN');
  });

  it('filters by token, action prefix, target, result, status and time, and pages with a cursor', async () => {
    for (let i = 0; i < 5; i++) await t.http.post(`/deployments/page-${i}/scale`).set(auth(adminA.token)).send({ replicas: 1 });
    await waitFor(async () => (await rows(adminA.token, { action: 'POST /deployments/:name/scale', tokenId: adminA.tokenId })).filter((r) => r.target?.startsWith('page-')).length === 5, { what: 'five scale rows' });

    const scale = await rows(adminA.token, { action: 'POST /deployments/', tokenId: adminA.tokenId, statusCode: '404', result: 'denied' });
    expect(scale.length).toBeGreaterThanOrEqual(5);
    expect(scale.every((r) => r.action.startsWith('POST /deployments/') && r.tokenId === adminA.tokenId && r.statusCode === 404 && r.result === 'denied')).toBe(true);
    expect(await rows(adminA.token, { target: 'page-3' })).toEqual([expect.objectContaining({ target: 'page-3', action: 'POST /deployments/:name/scale' })]);
    expect(await rows(adminA.token, { from: new Date(Date.now() + 3_600_000).toISOString() })).toEqual([]);
    expect((await rows(adminA.token, { to: new Date(Date.now() + 3_600_000).toISOString() })).length).toBeGreaterThan(0);

    // Cursor paging: two rows at a time, newest first, no row twice, none missed.
    const seen: string[] = [];
    let cursor: string | null | undefined;
    do {
      const res = await t.http.get('/audit').query({ action: 'POST /deployments/:name/scale', tokenId: adminA.tokenId, limit: '2', ...(cursor ? { cursor } : {}) }).set(auth(adminA.token));
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((r: any) => r.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    const all = (await rows(adminA.token, { action: 'POST /deployments/:name/scale', tokenId: adminA.tokenId })).map((r) => r.id);
    expect(seen).toEqual(all);
    expect([...seen].sort((a, b) => Number(b) - Number(a))).toEqual(seen);

    const tooMany = await t.http.get('/audit').query({ limit: '501' }).set(auth(adminA.token));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'limit' })]));
  });

  it('exports every matching row as NDJSON (Accept header or format=ndjson), across pages', async () => {
    // More rows than one database page (500), so the export has to page.
    await query(
      t.databaseUrl,
      `INSERT INTO audit_entries (token_id, team_id, method, action, target, result, status_code)
       SELECT $1::uuid, $2::uuid, 'POST', 'POST /bulk/:n', 'bulk-' || g, 'ok', 200 FROM generate_series(1, 620) g`,
      [adminA.tokenId, teamA],
    );
    const res = await t.http.get('/audit').query({ action: 'POST /bulk/' }).set(auth(adminA.token)).set('Accept', 'application/x-ndjson');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = res.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(620);
    expect(new Set(lines.map((l) => l.target)).size).toBe(620);
    expect(lines[0]).toMatchObject({ action: 'POST /bulk/:n', teamId: teamA, tokenId: adminA.tokenId });

    const viaQuery = await t.http.get('/audit').query({ action: 'POST /bulk/', format: 'ndjson' }).set(auth(adminA.token));
    expect(viaQuery.text.trim().split('\n')).toHaveLength(620);
    // Team B's admin exports none of team A's rows.
    const asB = await t.http.get('/audit').query({ action: 'POST /bulk/', format: 'ndjson' }).set(auth(adminB.token));
    expect(asB.status).toBe(200);
    expect(asB.text.trim()).toBe('');
  });

  it('is append-only in Postgres: UPDATE, DELETE and TRUNCATE are refused', async () => {
    await expect(query(t.databaseUrl, "UPDATE audit_entries SET result = 'ok'")).rejects.toThrow(/append-only/);
    await expect(query(t.databaseUrl, 'DELETE FROM audit_entries')).rejects.toThrow(/append-only/);
    await expect(query(t.databaseUrl, 'TRUNCATE audit_entries')).rejects.toThrow(/append-only/);
    const [{ n }] = await query<{ n: string }>(t.databaseUrl, 'SELECT count(*)::text AS n FROM audit_entries');
    expect(Number(n)).toBeGreaterThan(620);
  });

  it('records /ws subscriptions to log topics and exec.start, allowed and refused', async () => {
    const c = await StreamClient.ready(t.url, adminA.token);
    clients.push(c);
    await c.subscribe(`containers/${containerId}/logs`, { tail: 1 });
    const started = await c.request({ type: 'exec.start', session: 'audit1', container: containerId, cmd: ['true'] }, 'exec.started');
    expect(started.type).toBe('exec.started');
    // An events topic is not audited; a viewer's exec is refused and recorded as denied.
    await c.subscribe('events');
    const v = await StreamClient.ready(t.url, viewerA.token);
    clients.push(v);
    const refused = await v.request({ type: 'exec.start', session: 'nope', container: containerId, cmd: ['true'] }, 'exec.started');
    expect(refused).toMatchObject({ type: 'error', code: 'FORBIDDEN' });
    await c.request({ type: 'subscribe', topic: 'deployments/ghost/logs' }, 'subscribed');

    const sub = await waitForRow(adminA.token, (r) => r.action === 'WS subscribe containers/:id/logs', { action: 'WS ' });
    expect(sub).toMatchObject({ method: 'WS', tokenId: adminA.tokenId, teamId: teamA, target: containerId, result: 'ok', statusCode: null, sourceIp: expect.stringMatching(/127\.0\.0\.1/), details: { topic: `containers/${containerId}/logs` } });
    const exec = await waitForRow(adminA.token, (r) => r.action === 'WS exec.start' && r.tokenId === adminA.tokenId);
    expect(exec).toMatchObject({ target: containerId, result: 'ok', details: { session: 'audit1' }, requestId: sub.requestId });
    expect(JSON.stringify(exec)).not.toContain('"cmd"');
    const denied = await waitForRow(adminA.token, (r) => r.action === 'WS exec.start' && r.tokenId === viewerA.tokenId);
    expect(denied).toMatchObject({ result: 'denied', details: { code: 'FORBIDDEN', session: 'nope' } });
    const ghost = await waitForRow(adminA.token, (r) => r.action === 'WS subscribe deployments/:name/logs' && r.target === 'ghost');
    expect(ghost.details.topic).toBe('deployments/ghost/logs');
    expect((await rows(adminA.token, { action: 'WS subscribe' })).every((r) => r.action.endsWith('/logs'))).toBe(true);
  });
});
