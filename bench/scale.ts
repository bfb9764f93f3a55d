/**
 * npm run bench:scale — time from request to all replicas ready for 0→20 replicas of a busybox
 * service (healthcheck `true`), Berth vs (a) a raw dockerode loop doing the same creates and starts
 * with the same concurrency and (b) `docker-compose up -d --scale`. Interleaved rounds, same machine.
 * Then GET /deployments with 1,000 definitions (autocannon). Prints ratios; see bench/README.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';
import { TEST_SECRET_KEY } from '../test/helpers/app';
import { createTestDatabase, query } from '../test/helpers/database';
import { grantImage } from '../test/helpers/deployments';
import { BUSYBOX_IMAGE, docker, ensureBusyboxImage, removeContainersByLabel } from '../test/helpers/docker';
import { spawnApi } from '../test/helpers/process';
import { createTeamToken } from '../test/helpers/tokens';
import { machine, median } from './machine';

const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 20);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const HEALTH = { Test: ['CMD', 'true'], Interval: 1e9, Timeout: 1e9, Retries: 1 };

async function allHealthy(label: string, n: number): Promise<void> {
  for (;;) {
    const list = await docker.listContainers({ filters: { label: [label] } });
    if (list.length === n && list.every((c) => c.Status.includes('(healthy)'))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function raw(round: number): Promise<number> {
  const label = `berth.bench=raw-${round}`;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: REPLICAS }, async () => {
      const c = await docker.createContainer({ Image: BUSYBOX_IMAGE, Cmd: ['sleep', '3600'], Labels: { 'berth.bench': `raw-${round}` }, Healthcheck: HEALTH, HostConfig: { RestartPolicy: { Name: 'no' } } });
      await c.start();
    }),
  );
  await allHealthy(label, REPLICAS);
  const ms = performance.now() - start;
  await removeContainersByLabel('berth.bench', `raw-${round}`);
  return ms;
}

async function compose(round: number, dir: string): Promise<number> {
  const project = `berthbench${round}`;
  const start = performance.now();
  const up = spawnSync('docker-compose', ['-p', project, '-f', join(dir, 'docker-compose.yml'), 'up', '-d', '--scale', `app=${REPLICAS}`], { encoding: 'utf8' });
  if (up.status !== 0) throw new Error(`docker-compose up failed: ${up.stderr}`);
  await allHealthy(`com.docker.compose.project=${project}`, REPLICAS);
  const ms = performance.now() - start;
  spawnSync('docker-compose', ['-p', project, '-f', join(dir, 'docker-compose.yml'), 'down', '-t', '0'], { encoding: 'utf8' });
  return ms;
}

async function berth(round: number, url: string, token: string, teamId: string): Promise<number> {
  const name = `bench-${round}`;
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const body = { image: BUSYBOX_IMAGE, command: ['sleep', '3600'], replicas: REPLICAS, healthcheck: { command: ['true'], intervalSeconds: 1, timeoutSeconds: 1, retries: 1 } };
  const start = performance.now();
  const res = await fetch(`${url}/deployments/${name}`, { method: 'PUT', headers, body: JSON.stringify(body) });
  const { operation } = (await res.json()) as { operation: { id: string } };
  const done = await fetch(`${url}/operations/${operation.id}?wait=300`, { headers });
  const ms = performance.now() - start;
  if (done.status !== 200) throw new Error(`Berth rollout failed: ${await done.text()}`);
  const del = (await (await fetch(`${url}/deployments/${name}?purge=true`, { method: 'DELETE', headers })).json()) as { id: string };
  await fetch(`${url}/operations/${del.id}?wait=120`, { headers });
  await removeContainersByLabel('io.berth.team', teamId);
  return ms;
}

async function listBench(url: string, token: string, databaseUrl: string, teamId: string) {
  // 1,000 definitions, written straight to the database (no containers needed for a list).
  for (let i = 0; i < 1000; i += 100) {
    const values = Array.from({ length: 100 }, (_, j) => `('${randomUUID()}', '${teamId}', 'svc-${String(i + j).padStart(4, '0')}', 1, 1, now())`).join(',');
    await query(databaseUrl, `INSERT INTO deployments (id, team_id, name, desired_replicas, target_revision, updated_at) VALUES ${values}`);
  }
  await query(databaseUrl, `INSERT INTO deployment_revisions (id, deployment_id, number, spec, spec_hash) SELECT gen_random_uuid(), id, 1, $1::jsonb, 'x' FROM deployments WHERE name LIKE 'svc-%'`, [
    JSON.stringify({ image: BUSYBOX_IMAGE, env: {}, secretEnv: {}, ports: [], volumes: [], networks: [], replicas: 1, labels: {}, strategy: { type: 'rolling', maxSurge: 1, maxUnavailable: 0, minReadySeconds: 0, progressDeadlineSeconds: 300, autoRollback: true } }),
  ]);
  const result = await autocannon({ url: `${url}/deployments?limit=50`, connections: 10, duration: 10, headers: { Authorization: `Bearer ${token}` } });
  return { p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average, errors: result.errors + result.non2xx };
}

async function main(): Promise<void> {
  await ensureBusyboxImage();
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  const composeDir = mkdtempSync(join(tmpdir(), 'berth-bench-compose-'));
  writeFileSync(
    join(composeDir, 'docker-compose.yml'),
    `services:\n  app:\n    image: ${BUSYBOX_IMAGE}\n    command: ["sleep", "3600"]\n    healthcheck:\n      test: ["CMD", "true"]\n      interval: 1s\n      timeout: 1s\n      retries: 1\n`,
  );
  const api = await spawnApi({ DATABASE_URL: db.url, BERTH_SECRET_KEY: TEST_SECRET_KEY, BERTH_DATA_DIR: dataDir, LOG_LEVEL: 'info' });
  let teamId: string | undefined;
  try {
    const team = await createTeamToken(db.url, 'bench', 'deployer');
    teamId = team.teamId;
    await grantImage(db.url, team.teamId, BUSYBOX_IMAGE);
    const times = { raw: [] as number[], berth: [] as number[], compose: [] as number[] };
    await berth(99, api.url, team.token, team.teamId); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      times.raw.push(await raw(round));
      times.berth.push(await berth(round, api.url, team.token, team.teamId));
      times.compose.push(await compose(round, composeDir));
      process.stdout.write(`round ${round + 1}: raw ${times.raw[round].toFixed(0)} ms, berth ${times.berth[round].toFixed(0)} ms, compose ${times.compose[round].toFixed(0)} ms\n`);
    }
    const [r, b, c] = [median(times.raw), median(times.berth), median(times.compose)];
    process.stdout.write(`\n0→${REPLICAS} replicas ready (median of ${ROUNDS}): raw ${r.toFixed(0)} ms, Berth ${b.toFixed(0)} ms, docker-compose ${c.toFixed(0)} ms\n`);
    process.stdout.write(`Berth / raw = ${(b / r).toFixed(2)}× (target ≤ 1.15×); Berth / docker-compose = ${(b / c).toFixed(2)}× (target < 1)\n`);
    const list = await listBench(api.url, team.token, db.url, team.teamId);
    process.stdout.write(`GET /deployments?limit=50 with 1,000 definitions: p50 ${list.p50} ms, p99 ${list.p99} ms, ${list.rps.toFixed(0)} req/s, ${list.errors} errors\n`);
    process.stdout.write(`machine: ${machine()}\n`);
  } finally {
    // A failed run still removes what it started (the bench team's replicas).
    if (teamId) await removeContainersByLabel('io.berth.team', teamId).catch(() => undefined);
    await api.stop();
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(composeDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
