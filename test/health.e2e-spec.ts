import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp, TestApp } from './helpers/app';
import { EngineProxy } from './helpers/engine-proxy';
import { waitFor } from './helpers/wait';

describe('Health', () => {
  it('/health/live and /health/ready answer without a token; ready reports both dependencies with latency', async () => {
    const t = await startTestApp();
    try {
      const live = await t.http.get('/health/live');
      expect(live.status).toBe(200);
      expect(live.body.status).toBe('ok');
      const ready = await t.http.get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({
        status: 'ready',
        checks: {
          database: { status: 'up', latencyMs: expect.any(Number) },
          docker: { status: 'up', latencyMs: expect.any(Number) },
        },
      });
    } finally {
      await t.close();
    }
  });

  describe('with the Docker Engine unreachable', () => {
    let dir: string;
    let t: TestApp;
    let proxy: EngineProxy;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'berth-sock-'));
      // Nothing listens on this socket yet: the API must still start.
      t = await startTestApp({ env: { DOCKER_HOST: `unix://${join(dir, 'docker.sock')}` } });
    });
    afterAll(async () => {
      await proxy?.close();
      await t?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('starts anyway and /health/ready answers 503 naming the engine and its error', async () => {
      const res = await t.http.get('/health/ready');
      expect(res.status).toBe(503);
      expect(res.body.status).toBe('not_ready');
      expect(res.body.checks.database.status).toBe('up');
      expect(res.body.checks.docker.status).toBe('down');
      expect(res.body.checks.docker.error).toMatch(/Docker Engine unreachable: .*(ENOENT|ECONNREFUSED)/);
    });

    it('answers engine-backed routes with 503 ENGINE_UNAVAILABLE, not 500', async () => {
      const res = await t.http.get('/system').set('Authorization', `Bearer ${t.token}`);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('ENGINE_UNAVAILABLE');
    });

    it('recovers by itself when the engine comes back on that socket', async () => {
      // A socket that forwards to the real engine appears where DOCKER_HOST points.
      proxy = new EngineProxy(join(dir, 'docker.sock'));
      await proxy.listen();
      const ready = await waitFor(async () => (await t.http.get('/health/ready')).status === 200, { what: '/health/ready to turn 200' });
      expect(ready).toBe(true);
      const system = await t.http.get('/system').set('Authorization', `Bearer ${t.token}`);
      expect(system.status).toBe(200);
    });
  });
});
