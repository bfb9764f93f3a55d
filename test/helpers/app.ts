import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { NestExpressApplication } from '@nestjs/platform-express';
import request from 'supertest';
import { createApp } from '../../apps/api/src/app.setup';
import { loadConfig } from '../../apps/api/src/config/load-config';
import { createTestDatabase, TestDatabase } from './database';

export const TEST_SECRET_KEY = 'a'.repeat(64);

export function newBootstrapToken(): string {
  return `brt_test${randomBytes(20).toString('hex')}`;
}

export interface TestApp {
  app: NestExpressApplication;
  url: string;
  /** The owner token the app bootstrapped with. */
  token: string;
  databaseUrl: string;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
}

/**
 * Starts the real application in this process, on 127.0.0.1 and a free port, against its own
 * fresh database on the test Postgres, with an owner token the test knows. (Embedded PGlite
 * cannot load inside Jest's module sandbox; suites that need it spawn the API, see process.ts.) `close()` stops it and drops the database.
 */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const token = newBootstrapToken();
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-test-'));
  const db: TestDatabase = await createTestDatabase();
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    BERTH_DATA_DIR: dataDir,
    BERTH_SECRET_KEY: TEST_SECRET_KEY,
    BERTH_BOOTSTRAP_TOKEN: token,
    DOCKER_HOST: process.env.DOCKER_HOST,
    DATABASE_URL: db.url,
    ...options.env,
  };
  const app = await createApp(loadConfig(env));
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    app,
    url,
    token,
    databaseUrl: db.url,
    http: request(url),
    async close() {
      await app.close();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
