/**
 * npm run bench:scale — time from request to all replicas ready for 0→20 replicas of a busybox
 * service (healthcheck `true`), Berth vs (a) a raw dockerode loop doing the same creates and starts
 * with the same concurrency (all at once: the engine's own limit) and (b) `docker-compose up -d
 * --scale`. Interleaved rounds (the order rotates every round), same machine, same healthcheck,
 * "ready" = every replica running and `healthy`. Then GET /deployments with 1,000 definitions
 * (autocannon). Prints medians and ratios; see bench/README.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
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
const DEFINITIONS = Number(process.env.BENCH_DEFINITIONS ?? 1000);
const LIST_SECONDS = Number(process.env.BENCH_LIST_SECONDS ?? 10);
const LIST_CONNECTIONS = Number(process.env.BENCH_LIST_CONNECTIONS ?? 10);
/** Marks every container this benchmark starts, whichever way, so a failed run still removes them all. */
const BENCH_LABEL = 'berth.bench';
const COMPOSE = process.env.BENCH_COMPOSE ?? '/usr/bin/docker-compose';
/** `scale` or `list` runs only that part. */
const ONLY = process.env.BENCH_ONLY;

/**
 * One healthcheck for all three: `true` every second. The interval bounds how soon any of them can
 * report healthy (the engine runs the first probe one interval after start). The timeout is long
 * and there are 3 retries so that a probe slowed by a loaded machine does not flip a replica to
 * unhealthy — that would measure the machine's noise, not the rollout.
 */
const HEALTH = { command: ['true'], intervalSeconds: 1, timeoutSeconds: 10, retries: 3 };
const ENGINE_HEALTH = { Test: ['CMD', ...HEALTH.command], Interval: HEALTH.intervalSeconds * 1e9, Timeout: HEALTH.timeoutSeconds * 1e9, Retries: HEALTH.retries };
const COMMAND = ['sleep', '3600'];

const log = (line: string) => process.stdout.write(`${line}\n`);
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

/**
 * Resolves once `n` containers carrying `label` are running and healthy, from the engine's event
 * stream (opened before anything is created, so nothing is missed). Berth waits the same way.
 */
async function readyWatcher(label: string, n: number): Promise<{ ready: Promise<void>; close(): void }> {
  const stream = (await docker.getEvents({ filters: { type: ['container'], label: [label] } })) as NodeJS.ReadableStream & { destroy(): void };
  const healthy = new Set<string>();
  let buffer = '';
  let resolve!: () => void;
  const ready = new Promise<void>((r) => (resolve = r));
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let i: number;
    while ((i = buffer.indexOf('\n')) !== -1) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      if (!line.trim()) continue;
      const e = JSON.parse(line) as { Action?: string; id?: string; Actor?: { ID?: string } };
      const id = e.Actor?.ID ?? e.id ?? '';
      if (e.Action === 'health_status: healthy') healthy.add(id);
      else if (e.Action === 'health_status: unhealthy' || e.Action === 'die' || e.Action === 'destroy') healthy.delete(id);
      if (healthy.size >= n) resolve();
    }
  });
  return { ready, close: () => stream.destroy() };
}

async function raw(round: number): Promise<number> {
  const value = `raw-${round}-${randomBytes(3).toString('hex')}`;
  const watcher = await readyWatcher(`${BENCH_LABEL}=${value}`, REPLICAS);
  try {
    const start = performance.now();
    await Promise.all(
      Array.from({ length: REPLICAS }, async (_, slot) => {
        const c = await docker.createContainer({ name: `bench-${value}-s${slot}`, Image: BUSYBOX_IMAGE, Cmd: COMMAND, Labels: { [BENCH_LABEL]: value }, Healthcheck: ENGINE_HEALTH, HostConfig: { RestartPolicy: { Name: 'no' } } });
        await c.start();
      }),
    );
    await watcher.ready;
    return performance.now() - start;
  } finally {
    watcher.close();
    await removeContainersByLabel(BENCH_LABEL, value);
  }
}

function run(cmd: string, args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, output }));
  });
}

async function compose(round: number, dir: string): Promise<number> {
  const project = `berthbench${round}${randomBytes(2).toString('hex')}`;
  const file = join(dir, 'docker-compose.yml');
  const watcher = await readyWatcher(`com.docker.compose.project=${project}`, REPLICAS);
  try {
    const start = performance.now();
    const up = await run(COMPOSE, ['-p', project, '-f', file, 'up', '-d', '--scale', `app=${REPLICAS}`]);
    if (up.code !== 0) throw new Error(`docker-compose up failed: ${up.output}`);
    await watcher.ready;
    return performance.now() - start;
  } finally {
    watcher.close();
    const down = await run(COMPOSE, ['-p', project, '-f', file, 'down', '-t', '0']);
    if (down.code !== 0) {
      // Seen under heavy load: "network … has active endpoints". Remove what is left ourselves.
      log(`docker-compose down failed; removing its containers and network by label: ${down.output.trim().split('\n').at(-1)}`);
      await removeContainersByLabel('com.docker.compose.project', project);
      for (const n of await docker.listNetworks({ filters: { label: [`com.docker.compose.project=${project}`] } })) await docker.getNetwork(n.Id).remove().catch(() => undefined);
    }
  }
}

interface BerthTiming {
  ms: number;
  /** PUT sent → the operation's "Started N replica(s)" step (every create + start returned). */
  startedMs: number;
}

async function berth(round: number, url: string, token: string): Promise<BerthTiming> {
  const name = `bench-${round}-${randomBytes(2).toString('hex')}`;
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const body = { image: BUSYBOX_IMAGE, command: COMMAND, replicas: REPLICAS, healthcheck: HEALTH, labels: { [BENCH_LABEL]: 'berth' } };
  const wall = Date.now();
  const start = performance.now();
  const res = await fetch(`${url}/deployments/${name}`, { method: 'PUT', headers, body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`PUT /deployments/${name} answered ${res.status}: ${await res.text()}`);
  const { operation } = (await res.json()) as { operation: { id: string } };
  try {
    // Long-poll in slices well under undici's 300 s headers timeout, until the operation ends.
    for (;;) {
      const done = await fetch(`${url}/operations/${operation.id}?wait=60`, { headers });
      const ms = performance.now() - start;
      if (done.status === 202) {
        if (ms > 600_000) throw new Error(`Berth rollout still running after ${(ms / 1000).toFixed(0)} s: ${await done.text()}`);
        continue;
      }
      const op = (await done.json()) as { status: string; steps: { at: string; message: string }[] };
      if (done.status !== 200) throw new Error(`Berth rollout failed (${done.status}): ${JSON.stringify(op)}`);
      const started = op.steps.find((s) => s.message.startsWith('Started '));
      return { ms, startedMs: started ? Date.parse(started.at) - wall : NaN };
    }
  } finally {
    const del = await fetch(`${url}/deployments/${name}?purge=true`, { method: 'DELETE', headers });
    if (del.status === 202) await fetch(`${url}/operations/${((await del.json()) as { id: string }).id}?wait=120`, { headers });
    else log(`DELETE /deployments/${name} answered ${del.status}: ${await del.text()}`);
    await removeContainersByLabel(BENCH_LABEL, 'berth');
  }
}

/** Column names of a table, to copy rows whatever the schema has grown since. */
async function columns(databaseUrl: string, table: string): Promise<{ name: string; type: string }[]> {
  const rows = await query<{ column_name: string; udt_name: string }>(databaseUrl, 'SELECT column_name, udt_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position', [table]);
  return rows.map((r) => ({ name: r.column_name, type: r.udt_name }));
}

/**
 * DEFINITIONS deployments: one applied through the API (replicas 0: a revision, no containers),
 * then copied DEFINITIONS − 1 times in SQL — deployment row and revision, new id and name, same
 * spec (so every listed row decodes like a real one). Two statements instead of 1,000 applies.
 */
async function createDefinitions(url: string, token: string, databaseUrl: string): Promise<number> {
  const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
  const res = await fetch(`${url}/deployments/svc-0000`, { method: 'PUT', headers, body: JSON.stringify({ image: BUSYBOX_IMAGE, command: COMMAND, replicas: 0, healthcheck: HEALTH }) });
  if (res.status !== 202) throw new Error(`PUT /deployments/svc-0000 answered ${res.status}: ${await res.text()}`);
  const applied = (await res.json()) as { deployment: { id: string }; operation: { id: string } };
  await fetch(`${url}/operations/${applied.operation.id}?wait=120`, { headers });
  const start = performance.now();
  const dep = await columns(databaseUrl, 'deployments');
  const rev = await columns(databaseUrl, 'deployment_revisions');
  const uuid = (type: string) => (type === 'uuid' ? 'gen_random_uuid()' : 'gen_random_uuid()::text');
  const depOther = dep.filter((c) => c.name !== 'id' && c.name !== 'name').map((c) => `"${c.name}"`);
  await query(
    databaseUrl,
    `INSERT INTO deployments ("id", "name", ${depOther.join(', ')}) SELECT ${uuid(dep.find((c) => c.name === 'id')!.type)}, 'svc-' || lpad(g::text, 4, '0'), ${depOther.map((c) => `d.${c}`).join(', ')} FROM deployments d, generate_series(1, ${DEFINITIONS - 1}) g WHERE d.id = $1`,
    [applied.deployment.id],
  );
  const revOther = rev.filter((c) => c.name !== 'id' && c.name !== 'deployment_id').map((c) => `"${c.name}"`);
  await query(
    databaseUrl,
    `INSERT INTO deployment_revisions ("id", "deployment_id", ${revOther.join(', ')}) SELECT ${uuid(rev.find((c) => c.name === 'id')!.type)}, n.id, ${revOther.map((c) => `r.${c}`).join(', ')} FROM deployment_revisions r JOIN deployments t ON t.id = r.deployment_id JOIN deployments n ON n.team_id = t.team_id AND n.name LIKE 'svc-%' AND n.id <> t.id WHERE t.id = $1`,
    [applied.deployment.id],
  );
  return performance.now() - start;
}

async function listBench(url: string, token: string, path: string) {
  const result = await autocannon({ url: `${url}${path}`, connections: LIST_CONNECTIONS, duration: LIST_SECONDS, headers: { Authorization: `Bearer ${token}` } });
  return { p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average, errors: result.errors + result.non2xx, status429: (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats?.['429']?.count ?? 0 };
}

async function main(): Promise<void> {
  log(`load average at start: ${load()}`);
  await ensureBusyboxImage();
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  const composeDir = mkdtempSync(join(tmpdir(), 'berth-bench-compose-'));
  writeFileSync(
    join(composeDir, 'docker-compose.yml'),
    [
      "version: '2.4'",
      'services:',
      '  app:',
      `    image: ${BUSYBOX_IMAGE}`,
      `    command: ${JSON.stringify(COMMAND)}`,
      `    labels: { ${BENCH_LABEL}: compose }`,
      '    healthcheck:',
      `      test: ${JSON.stringify(['CMD', ...HEALTH.command])}`,
      `      interval: ${HEALTH.intervalSeconds}s`,
      `      timeout: ${HEALTH.timeoutSeconds}s`,
      `      retries: ${HEALTH.retries}`,
      '',
    ].join('\n'),
  );
  // The rate limiter (BERTH_RATE_LIMIT_*) would answer the list benchmark's thousands of reads a
  // minute with 429: 0 turns it off for this process.
  const api = await spawnApi({ DATABASE_URL: db.url, BERTH_SECRET_KEY: TEST_SECRET_KEY, BERTH_DATA_DIR: dataDir, LOG_LEVEL: 'info', BERTH_RATE_LIMIT_READS: '0', BERTH_RATE_LIMIT_WRITES: '0' });
  let teamId: string | undefined;
  try {
    const team = await createTeamToken(db.url, 'bench', 'admin');
    teamId = team.teamId;
    await grantImage(db.url, team.teamId, BUSYBOX_IMAGE);
    if (ONLY !== 'list') {
      const times = { raw: [] as number[], berth: [] as number[], compose: [] as number[], berthStarted: [] as number[] };
      const warm = await berth(99, api.url, team.token); // warm-up: first Prisma queries, first rollout
      log(`warm-up: berth ${warm.ms.toFixed(0)} ms`);
      const kinds = ['raw', 'berth', 'compose'] as const;
      for (let round = 0; round < ROUNDS; round++) {
        const order = kinds.map((_, i) => kinds[(i + round) % kinds.length]);
        const line: string[] = [];
        for (const kind of order) {
          if (kind === 'raw') times.raw.push(await raw(round));
          if (kind === 'compose') times.compose.push(await compose(round, composeDir));
          if (kind === 'berth') {
            const b = await berth(round, api.url, team.token);
            times.berth.push(b.ms);
            times.berthStarted.push(b.startedMs);
          }
          const last = kind === 'berth' ? times.berth : times[kind];
          line.push(`${kind} ${last[last.length - 1].toFixed(0)} ms${kind === 'berth' ? ` (all started at ${times.berthStarted[round].toFixed(0)} ms)` : ''}`);
        }
        log(`round ${round + 1} (load ${load()}): ${line.join(', ')}`);
      }
      const [r, b, c, s] = [median(times.raw), median(times.berth), median(times.compose), median(times.berthStarted)];
      log(`\n0→${REPLICAS} replicas ready (median of ${ROUNDS}): raw ${r.toFixed(0)} ms, Berth ${b.toFixed(0)} ms (all created and started at ${s.toFixed(0)} ms), docker-compose ${c.toFixed(0)} ms`);
      log(`Berth / raw = ${(b / r).toFixed(2)}× (target ≤ 1.15×); Berth / docker-compose = ${(b / c).toFixed(2)}× (target < 1)`);
    }

    if (ONLY !== 'scale') {
      const seedMs = await createDefinitions(api.url, team.token, db.url);
      const [{ count }] = await query<{ count: string }>(db.url, 'SELECT count(*)::text AS count FROM deployments WHERE team_id = $1 AND deleted_at IS NULL', [team.teamId]);
      log(`\n${count} definitions (1 applied + ${DEFINITIONS - 1} copied in SQL in ${seedMs.toFixed(0)} ms); autocannon ${LIST_CONNECTIONS} connections × ${LIST_SECONDS} s (load ${load()}):`);
      for (const path of ['/deployments', '/deployments?limit=200']) {
        const list = await listBench(api.url, team.token, path);
        log(`GET ${path}: p50 ${list.p50} ms, p99 ${list.p99} ms, ${list.rps.toFixed(0)} req/s, ${list.errors} errors/non-2xx (${list.status429} × 429)`);
      }
    }
    log(`\nload average at end: ${load()}`);
    log(`machine: ${machine()}`);
  } finally {
    // A failed run still removes everything it started, whichever way it was started.
    await removeContainersByLabel(BENCH_LABEL).catch(() => undefined);
    for (const n of await docker.listNetworks({ filters: { label: ['com.docker.compose.project'] } }).catch(() => [])) {
      if (n.Labels?.['com.docker.compose.project']?.startsWith('berthbench')) await docker.getNetwork(n.Id).remove().catch(() => undefined);
    }
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
