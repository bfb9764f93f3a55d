import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { auth, newBootstrapToken, startTestApp, TestApp, TEST_SECRET_KEY } from './helpers/app';
import { createTestDatabase, query } from './helpers/database';
import { spawnApi } from './helpers/process';
import { startRegistry, TestRegistry } from './helpers/registry';
import { createTeamToken, TeamToken } from './helpers/tokens';

const run = randomBytes(4).toString('hex');
const PASSWORD = `pw-${run}-${randomBytes(12).toString('hex')}`;
const WRONG = `wrong-${run}`;

/** Every place a secret could surface in a response. */
const mustNotLeak = (body: unknown) => {
  const text = JSON.stringify(body);
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(Buffer.from(PASSWORD).toString('base64'));
};

describe('Registries: per-team, secrets encrypted and never returned', () => {
  let t: TestApp;
  let registry: TestRegistry;
  let a: TeamToken;
  let b: TeamToken;

  beforeAll(async () => {
    [t, registry] = await Promise.all([startTestApp(), startRegistry({ auth: { username: 'berth', password: PASSWORD } })]);
    a = await createTeamToken(t.databaseUrl, `registries-a-${run}`, 'admin');
    b = await createTeamToken(t.databaseUrl, `registries-b-${run}`, 'admin');
  });
  afterAll(async () => {
    await registry?.stop();
    await t?.close();
  });

  const create = (token: string, body: object) => t.http.post('/registries').set(auth(token)).send(body);

  it('creates, lists, gets, renames and deletes a registry without ever returning the password', async () => {
    const created = await create(a.token, { name: 'local', serverAddress: registry.address, username: 'berth', password: PASSWORD });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      teamId: a.teamId,
      name: 'local',
      serverAddress: registry.address,
      username: 'berth',
      hasPassword: true,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const id = created.body.id;
    const list = await t.http.get('/registries').set(auth(a.token));
    expect(list.status).toBe(200);
    expect(list.body).toEqual([created.body]);
    const one = await t.http.get(`/registries/${id}`).set(auth(a.token));
    expect(one.body).toEqual(created.body);
    const renamed = await t.http.patch(`/registries/${id}`).set(auth(a.token)).send({ name: 'renamed' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'renamed', hasPassword: true, username: 'berth' });
    for (const res of [created, list, one, renamed]) mustNotLeak(res.body);

    expect((await t.http.delete(`/registries/${id}`).set(auth(a.token))).status).toBe(204);
    expect((await t.http.get(`/registries/${id}`).set(auth(a.token))).status).toBe(404);
  });

  it('stores the password AES-256-GCM encrypted, never in clear, and keeps it out of events and operations', async () => {
    const created = await create(a.token, { name: 'at-rest', serverAddress: registry.address, username: 'berth', password: PASSWORD });
    await t.http.post(`/registries/${created.body.id}/verify`).set(auth(a.token));
    const [row] = await query(t.databaseUrl, 'SELECT secret_ciphertext FROM registries WHERE id = $1', [created.body.id]);
    expect(row.secret_ciphertext).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(row.secret_ciphertext).not.toContain(PASSWORD);
    const everything = await query(t.databaseUrl, "SELECT (SELECT coalesce(json_agg(e), '[]') FROM events e)::text AS events, (SELECT coalesce(json_agg(o), '[]') FROM operations o)::text AS ops");
    expect(everything[0].events).toContain('registry.created');
    expect(everything[0].events).not.toContain(PASSWORD);
    expect(everything[0].ops).not.toContain(PASSWORD);
  });

  it('verifies the stored credentials against the real registry: success, and the registry error for a wrong password', async () => {
    const good = await create(a.token, { name: 'verify-good', serverAddress: registry.address, username: 'berth', password: PASSWORD });
    const ok = await t.http.post(`/registries/${good.body.id}/verify`).set(auth(a.token));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ ok: true, serverAddress: registry.address, message: 'Login Succeeded' });

    const bad = await create(a.token, { name: 'verify-bad', serverAddress: registry.address, username: 'berth', password: WRONG });
    const refused = await t.http.post(`/registries/${bad.body.id}/verify`).set(auth(a.token));
    expect(refused.status).toBe(200);
    expect(refused.body).toEqual({ ok: false, serverAddress: registry.address, message: expect.stringMatching(/401 Unauthorized/) });
    expect(refused.body.message).toContain(registry.address);
    for (const res of [ok, refused]) mustNotLeak(res.body);
    expect(JSON.stringify(refused.body)).not.toContain(WRONG);

    // A new password through PATCH is used from then on.
    await t.http.patch(`/registries/${bad.body.id}`).set(auth(a.token)).send({ password: PASSWORD }).expect(200);
    expect((await t.http.post(`/registries/${bad.body.id}/verify`).set(auth(a.token))).body.ok).toBe(true);
  });

  it("hides a team's registries from another team (404, not 403) and shows them only to their team", async () => {
    const mine = await create(a.token, { name: 'private', serverAddress: registry.address, username: 'berth', password: PASSWORD });
    expect(mine.status).toBe(201);
    const id = mine.body.id;
    const listB = await t.http.get('/registries').set(auth(b.token));
    expect(listB.status).toBe(200);
    expect(listB.body.map((r: { id: string }) => r.id)).not.toContain(id);
    for (const res of [
      await t.http.get(`/registries/${id}`).set(auth(b.token)),
      await t.http.patch(`/registries/${id}`).set(auth(b.token)).send({ name: 'stolen' }),
      await t.http.post(`/registries/${id}/verify`).set(auth(b.token)),
      await t.http.delete(`/registries/${id}`).set(auth(b.token)),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
      mustNotLeak(res.body);
    }
    // Untouched, and the owner token sees it.
    expect((await t.http.get(`/registries/${id}`).set(auth(a.token))).body.name).toBe('private');
    const owner = await t.http.get('/registries').set(auth(t.token));
    expect(owner.body.map((r: { id: string }) => r.id)).toContain(id);
    mustNotLeak(owner.body);
  });

  it('keeps names unique per team (409) while another team may reuse a name', async () => {
    expect((await create(a.token, { name: 'dup', serverAddress: 'registry.example.com' })).status).toBe(201);
    const again = await create(a.token, { name: 'dup', serverAddress: 'other.example.com' });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('CONFLICT');
    expect(again.body.message).toContain('"dup"');
    expect((await create(b.token, { name: 'dup', serverAddress: 'registry.example.com' })).status).toBe(201);
  });

  it('validates name, address and credentials, and rejects unknown fields, naming field and rule', async () => {
    const cases: Array<[object, string, string]> = [
      [{ name: 'Bad Name', serverAddress: 'r.example.com' }, 'name', 'matches'],
      [{ name: 'ok', serverAddress: 'http://r.example.com/v2' }, 'serverAddress', 'isRegistryAddress'],
      [{ name: 'ok', serverAddress: 'r.example.com:99999' }, 'serverAddress', 'isRegistryAddress'],
      [{ name: 'ok', serverAddress: 'r.example.com', password: 'p' }, 'username', 'requiredWith'],
      [{ name: 'ok', serverAddress: 'r.example.com', username: 'a:b', password: 'p' }, 'username', 'matches'],
      [{ name: 'ok', serverAddress: 'r.example.com', secret: 'x' }, 'secret', 'forbidden'],
    ];
    for (const [body, field, rule] of cases) {
      const res = await create(a.token, body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
      expect(res.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field, rule })]));
    }
    expect((await t.http.get('/registries/not-a-uuid').set(auth(a.token))).status).toBe(400);
  });

  it('never sends a stored password to a new address: changing serverAddress needs the password again', async () => {
    const created = await create(a.token, { name: 'moving', serverAddress: registry.address, username: 'berth', password: PASSWORD });
    const moved = await t.http.patch(`/registries/${created.body.id}`).set(auth(a.token)).send({ serverAddress: 'evil.example.com' });
    expect(moved.status).toBe(400);
    expect(moved.body.details).toEqual([expect.objectContaining({ field: 'password', rule: 'requiredWith' })]);
    expect((await t.http.get(`/registries/${created.body.id}`).set(auth(a.token))).body.serverAddress).toBe(registry.address);
    const cleared = await t.http.patch(`/registries/${created.body.id}`).set(auth(a.token)).send({ serverAddress: 'evil.example.com', password: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ serverAddress: 'evil.example.com', hasPassword: false });
    const [row] = await query(t.databaseUrl, 'SELECT secret_ciphertext FROM registries WHERE id = $1', [created.body.id]);
    expect(row.secret_ciphertext).toBeNull();
  });

  it('never writes the password to the log, even at debug level', async () => {
    const db = await createTestDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-registries-log-'));
    const token = newBootstrapToken();
    const api = await spawnApi({ DATABASE_URL: db.url, BERTH_SECRET_KEY: TEST_SECRET_KEY, BERTH_BOOTSTRAP_TOKEN: token, BERTH_DATA_DIR: dataDir, LOG_LEVEL: 'trace' });
    try {
      const http = request(api.url);
      const created = await http.post('/registries').set(auth(token)).send({ name: 'logged', serverAddress: registry.address, username: 'berth', password: PASSWORD });
      expect(created.status).toBe(201);
      const wrong = await http.post('/registries').set(auth(token)).send({ name: 'logged-wrong', serverAddress: registry.address, username: 'berth', password: WRONG });
      await http.get('/registries').set(auth(token)).expect(200);
      expect((await http.post(`/registries/${created.body.id}/verify`).set(auth(token))).body.ok).toBe(true);
      expect((await http.post(`/registries/${wrong.body.id}/verify`).set(auth(token))).body.ok).toBe(false);
      await http.patch(`/registries/${created.body.id}`).set(auth(token)).send({ password: PASSWORD }).expect(200);
      // A pull with the stored credentials (of an image that is not there) goes through the same secret.
      expect((await http.post('/images/pull').set(auth(token)).send({ image: `${registry.address}/missing-${run}/x:1` })).status).toBe(404);
    } finally {
      await api.stop();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    const log = api.output();
    expect(log).toContain('/registries');
    expect(log).not.toContain(PASSWORD);
    expect(log).not.toContain(WRONG);
    expect(log).not.toContain(Buffer.from(PASSWORD).toString('base64'));
  });
});
