import { auth, startTestApp, TestApp } from './helpers/app';
import { docker } from './helpers/docker';

describe('Walking skeleton: request → auth guard → controller → Docker service', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('refuses a request without a token with 401 and the common error shape', async () => {
    const res = await t.http.get('/system');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      code: 'UNAUTHENTICATED',
      message: expect.stringContaining('Missing bearer token'),
      requestId: res.headers['x-request-id'],
    });
  });

  it('refuses an unknown token with 401', async () => {
    const res = await t.http.get('/system').set(auth('brt_notarealtoken000000000000000000000000000'));
    expect(res.status).toBe(401);
    expect(res.body.message).toBe('Invalid bearer token');
  });

  it('refuses a malformed Authorization header with 401', async () => {
    const res = await t.http.get('/system').set('Authorization', `Basic ${t.token}`);
    expect(res.status).toBe(401);
  });

  it("answers GET /system with the engine's real version for the bootstrap token", async () => {
    const res = await t.http.get('/system').set(auth(t.token));
    expect(res.status).toBe(200);
    const version = await docker.version();
    expect(res.body.engine.version).toBe(version.Version);
    expect(res.body.engine.apiVersion).toBe(version.ApiVersion);
    expect(res.body.engine.osType).toBe('linux');
    expect(typeof res.body.engine.containers.total).toBe('number');
    expect(typeof res.body.engine.images).toBe('number');
    expect(res.body.berth).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/), databaseMode: expect.stringMatching(/^(server|embedded)$/) });
  });

  it('keeps a sane incoming X-Request-Id and generates one otherwise', async () => {
    const mine = await t.http.get('/nope').set('X-Request-Id', 'pipeline-42');
    expect(mine.headers['x-request-id']).toBe('pipeline-42');
    expect(mine.body.requestId).toBe('pipeline-42');
    const bad = await t.http.get('/health/live').set('X-Request-Id', 'has spaces & stuff');
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown route with 404 in the common shape (after auth)', async () => {
    const res = await t.http.get('/no-such-route').set(auth(t.token));
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });

  it('rejects a malformed JSON body with 400 and an oversize body with 413', async () => {
    const bad = await t.http.post('/system').set(auth(t.token)).set('Content-Type', 'application/json').send('{"x":');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('BAD_REQUEST');
    const big = await t.http.post('/system').set(auth(t.token)).set('Content-Type', 'application/json').send(JSON.stringify({ x: 'y'.repeat(2 * 1024 * 1024) }));
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('serves Prometheus metrics to an authenticated caller, counting HTTP requests and Docker calls', async () => {
    expect((await t.http.get('/metrics')).status).toBe(401);
    const res = await t.http.get('/metrics').set(auth(t.token));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toMatch(/berth_http_request_duration_seconds_count\{method="GET",route="\/system",status="200"\} \d+/);
    expect(res.text).toMatch(/berth_docker_call_duration_seconds_count\{operation="version",outcome="ok"\} \d+/);
    expect(res.text).toContain('berth_websocket_clients');
  });
});
