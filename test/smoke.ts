import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { auth, newBootstrapToken, startTestApp, TEST_SECRET_KEY } from './helpers/app';
import { spawnApi } from './helpers/process';

interface Running {
  url: string;
  token: string;
  close(): Promise<unknown>;
}

/** Server mode: the app in-process on a fresh database of the test Postgres. */
const onServer = (): Promise<Running> => startTestApp();

/** Embedded mode: the built API as its own process with no DATABASE_URL, as `npm start` runs it. */
async function embedded(): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-embedded-'));
  const token = newBootstrapToken();
  const api = await spawnApi({ BERTH_DATA_DIR: dataDir, BERTH_SECRET_KEY: TEST_SECRET_KEY, BERTH_BOOTSTRAP_TOKEN: token });
  return {
    url: api.url,
    token,
    async close() {
      await api.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The same smoke, run once per database mode (smoke-server / smoke-embedded). */
export function smokeSuite(mode: 'server' | 'embedded'): void {
  describe(`Smoke on ${mode === 'server' ? 'a Postgres server' : 'embedded PGlite'}`, () => {
    let t: Running;
    beforeAll(async () => {
      t = await (mode === 'server' ? onServer() : embedded());
    });
    afterAll(() => t?.close());

    it('is ready, with the database and the engine up', async () => {
      const res = await request(t.url).get('/health/ready');
      expect(res.status).toBe(200);
      expect(res.body.checks.database.status).toBe('up');
      expect(res.body.checks.docker.status).toBe('up');
    });

    it(`reports database mode "${mode}" and the engine's version on GET /system`, async () => {
      const res = await request(t.url).get('/system').set(auth(t.token));
      expect(res.status).toBe(200);
      expect(res.body.berth.databaseMode).toBe(mode);
      expect(res.body.engine.version).toEqual(expect.any(String));
    });

    it('refuses requests without a token or with a wrong one', async () => {
      expect((await request(t.url).get('/system')).status).toBe(401);
      expect((await request(t.url).get('/system').set(auth('brt_wrong'))).status).toBe(401);
    });
  });
}
