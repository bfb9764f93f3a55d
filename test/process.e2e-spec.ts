import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_SECRET_KEY } from './helpers/app';
import { createTestDatabase, TestDatabase } from './helpers/database';
import { spawnApi } from './helpers/process';
import { EngineProxy } from './helpers/engine-proxy';
import { waitFor } from './helpers/wait';

describe('The API as a process', () => {
  let db: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'berth-proc-'));
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses to start on a bad setting with one line naming the variable', async () => {
    const api = await spawnApi({ PORT: 'http', BERTH_DATA_DIR: dataDir }, { waitForListen: false });
    expect(await api.exited).toBe(78);
    expect(api.output().trim()).toBe('Invalid configuration: PORT must be an integer number, must not be less than 0, must not be greater than 65535');
  });

  it('refuses to start in production without BERTH_SECRET_KEY, saying so', async () => {
    const api = await spawnApi({ NODE_ENV: 'production', DATABASE_URL: db.url, BERTH_DATA_DIR: dataDir }, { waitForListen: false });
    expect(await api.exited).toBe(78);
    expect(api.output()).toMatch(/^Invalid configuration: BERTH_SECRET_KEY is required when NODE_ENV=production/);
  });

  it('prints a generated bootstrap owner token once, on the first start only, and it works', async () => {
    const env = { DATABASE_URL: db.url, BERTH_SECRET_KEY: TEST_SECRET_KEY, BERTH_DATA_DIR: dataDir };
    const first = await spawnApi(env);
    const token = /^\s+(brt_[0-9A-Za-z]{40})$/m.exec(first.output())?.[1];
    expect(token).toBeDefined();
    expect((await fetch(`${first.url}/system`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    // The secret is not in any JSON log line.
    expect(first.output().split('\n').filter((l) => l.startsWith('{') && l.includes(token!))).toEqual([]);
    expect(await first.stop('SIGTERM')).toBe(0);

    const second = await spawnApi(env);
    expect(second.output()).not.toContain('bootstrap owner token');
    expect((await fetch(`${second.url}/system`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(await second.stop('SIGTERM')).toBe(0);
  });

  it('on SIGTERM stops accepting, lets an in-flight request finish, and exits 0', async () => {
    // The engine is reached through a proxy the test controls, so a request can be held mid-flight.
    const proxy = new EngineProxy(join(dataDir, 'engine.sock'));
    await proxy.listen();
    try {
      const api = await spawnApi({ DATABASE_URL: db.url, BERTH_SECRET_KEY: TEST_SECRET_KEY, BERTH_DATA_DIR: dataDir, DOCKER_HOST: `unix://${proxy.path}` });
      proxy.hold();
      const held = new Promise((resolve) => proxy.once('held', resolve));
      const inFlight = fetch(`${api.url}/health/ready`);
      await held; // the API is now waiting on the engine inside this request
      api.child.kill('SIGTERM');
      await waitFor(() => api.output().includes('SIGTERM received'), { what: 'the API to see SIGTERM' });
      await expect(fetch(`${api.url}/health/live`)).rejects.toThrow();
      proxy.release();
      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { checks: { docker: { status: string } } }).checks.docker.status).toBe('up');
      expect(await api.exited).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});

describe('docker-compose.yml', () => {
  it('is accepted by `docker-compose config`', () => {
    const root = join(__dirname, '..');
    const run = spawnSync('docker-compose', ['-f', join(root, 'docker-compose.yml'), 'config', '-q'], {
      env: { ...process.env, BERTH_SECRET_KEY: TEST_SECRET_KEY },
      encoding: 'utf8',
    });
    expect(run.error).toBeUndefined();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('is refused without BERTH_SECRET_KEY, naming it', () => {
    const env = { ...process.env };
    delete env.BERTH_SECRET_KEY;
    const run = spawnSync('docker-compose', ['-f', join(__dirname, '..', 'docker-compose.yml'), 'config', '-q'], { env, encoding: 'utf8' });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('BERTH_SECRET_KEY');
  });
});
