import { docker, ensureBusyboxImage } from './helpers/docker';
import { DEFAULT_TEST_DATABASE_URL, postgresReachable } from './helpers/database';

/**
 * Runs once before the e2e suites: checks the Docker Engine and Postgres, and builds the busybox
 * test image. Test databases are created on TEST_DATABASE_URL's server (default
 * postgresql://postgres:postgres@127.0.0.1:5432/postgres), one per test file.
 */
export default async function globalSetup(): Promise<void> {
  try {
    await docker.ping();
  } catch (err) {
    throw new Error(`The e2e suite needs a Docker Engine (DOCKER_HOST or /var/run/docker.sock): ${(err as Error).message}`);
  }
  process.env.TEST_DATABASE_URL ??= DEFAULT_TEST_DATABASE_URL;
  if (!(await postgresReachable())) {
    throw new Error(`The e2e suite needs Postgres at TEST_DATABASE_URL (${process.env.TEST_DATABASE_URL}); see docs/testing.md`);
  }
  await ensureBusyboxImage();
}
