/**
 * npm run bench:api — Berth's container API against the Docker Engine's own API, same machine:
 *   1. GET /containers (through Berth: auth, team scoping, mapping) vs GET /containers/json on the
 *      engine's unix socket, with BENCH_CONTAINERS (50) containers on the host; autocannon,
 *      interleaved rounds; latency ratio (median, p99) and requests/s.
 *   2. POST /containers?wait=true of busybox `true` (a full run operation: image check, create,
 *      start, wait, last log lines, every step persisted) vs raw dockerode create + start + wait;
 *      interleaved, one at a time; ratio of medians.
 * The API runs as a process from the built dist (`node dist/apps/api/main.js`) on a fresh database;
 * everything the benchmark creates is removed at the end. Berth runs with its defaults (token cache
 * on) and, unless BENCH_NOCACHE=0, a second time with BERTH_AUTH_CACHE_MS=0 (`berth-nocache`) to
 * show what the token cache saves. The per-token rate limiter is lifted for both
 * (BERTH_RATE_LIMIT_READS=0, BERTH_RATE_LIMIT_WRITES=0): the benchmark sends far more than a
 * client may. Results: bench/README.md.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { newBootstrapToken, TEST_SECRET_KEY } from '../test/helpers/app';
import { createTestDatabase, TestDatabase } from '../test/helpers/database';
import { BUSYBOX_IMAGE, docker, ensureBusyboxImage, removeContainersByLabel } from '../test/helpers/docker';
import { defaultTeamId } from '../test/helpers/tokens';
import { waitFor } from '../test/helpers/wait';
import { machine, median, percentile } from './machine';

const MAIN = join(__dirname, '../dist/apps/api/main.js');

interface ApiProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the built API as production runs it (NODE_ENV=production, info-level JSON logs), with
 * its log going to a file as it would to journald, not to a pipe this busy process must drain.
 */
async function startApi(env: Record<string, string>, dir: string, name: string, entry: string[] = [MAIN]): Promise<ApiProcess> {
  const port = await freePort();
  const logFile = join(dir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  // BENCH_API_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the API processes.
  const nodeArgs = (process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...entry], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      PORT: String(port),
      DOCKER_HOST: process.env.DOCKER_HOST,
      // The benchmark is one token sending thousands of requests a minute: lift the rate limiter.
      BERTH_RATE_LIMIT_READS: '0',
      BERTH_RATE_LIMIT_WRITES: '0',
      ...env,
    },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`API exited:\n${readFileSync(logFile, 'utf8')}`);
        return (await fetch(`${url}/health/ready`)).status === 200;
      },
      { timeoutMs: 60_000, what: 'the API to be ready' },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, child, stop };
}

const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,10').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const SOCKET = (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '');
const BENCH_LABEL = 'io.berth.bench';
/** A second Berth with the token cache off (BERTH_AUTH_CACHE_MS=0), to show what it saves; BENCH_NOCACHE=0 skips it. */
const NOCACHE = process.env.BENCH_NOCACHE !== '0';
const load = () => loadavg().map((x) => x.toFixed(2)).join(', ');

/** One Berth configuration under test, or (without a database) one of the floors. */
interface Variant {
  name: string;
  api: ApiProcess;
  token: string;
  db?: TestDatabase;
  teamId?: string;
}

/**
 * What the same route costs without Berth (BENCH_FLOOR=0 skips them): `floor-node`, a bare Node
 * http server, and `floor-nest`, a one-controller NestJS app on the Express adapter, each making
 * Berth's dockerode call and mapping and nothing else (bench/floor/). They show how much of the
 * ratio any Node, or any NestJS, implementation of the route pays on this machine.
 */
const FLOOR = process.env.BENCH_FLOOR !== '0';
const FLOORS: Array<{ name: string; entry: string[] }> = [
  { name: 'floor-node', entry: [join(__dirname, 'floor/bare-proxy.js')] },
  { name: 'floor-nest', entry: ['-r', join(__dirname, 'register.js'), join(__dirname, 'floor/min-nest.ts')] },
];

interface Sample {
  p50: number;
  p99: number;
  rps: number;
  errors: number;
  /** Berth only: the API process's CPU time (user + system, from /proc) per request. */
  cpuMs?: number;
}

/** user + system CPU time of a process so far, in ms (Linux /proc; clock ticks are 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Warm-up per path before measuring: V8 needs a few thousand requests to optimise the API's hot path. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 15);

async function cannon(opts: { url: string; socketPath?: string; headers?: Record<string, string>; connections: number; duration?: number; pid?: number }): Promise<Sample> {
  const cpuBefore = opts.pid ? cpuMs(opts.pid) : 0;
  // Every response's own time (hrtime, fractions of a millisecond): autocannon's percentiles come
  // from a histogram of whole milliseconds, too coarse for a 5 ms call and a ratio of 1.3.
  const latencies: number[] = [];
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url: opts.url, socketPath: opts.socketPath, headers: opts.headers, connections: opts.connections, duration: opts.duration ?? SECONDS },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      if (status < 300) latencies.push(ms);
    });
  });
  const cpu = opts.pid && r.requests.total ? (cpuMs(opts.pid) - cpuBefore) / r.requests.total : undefined;
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), rps: r.requests.average, errors: r.errors + r.non2xx + r.timeouts, cpuMs: cpu };
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const engineList = (connections: number, duration?: number) => cannon({ url: 'http://localhost/containers/json', socketPath: SOCKET, connections, duration });
const berthList = (v: Variant, connections: number, duration?: number) =>
  cannon({ url: `${v.api.url}/containers`, headers: { Authorization: `Bearer ${v.token}` }, connections, duration, pid: v.api.child.pid });

async function listBench(variants: Variant[]) {
  const rows: string[] = [];
  for (const connections of CONNECTIONS) {
    const raw: Sample[] = [];
    const berth = variants.map(() => [] as Sample[]);
    // Warm every path (JIT, connection pools, the engine's caches) before measuring.
    await engineList(connections, WARMUP_SECONDS);
    for (const v of variants) await berthList(v, connections, WARMUP_SECONDS);
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(await engineList(connections));
      for (const [i, v] of variants.entries()) berth[i].push(await berthList(v, connections));
      const line = (name: string, x: Sample) => `${name} p50 ${fmt(x.p50)} p99 ${fmt(x.p99)} ms ${fmt(x.rps, 0)} req/s${x.cpuMs !== undefined ? ` ${fmt(x.cpuMs)} ms CPU/req` : ''}`;
      process.stdout.write(`  list c=${connections} round ${round + 1}: ${[line('engine', raw[round]), ...variants.map((v, i) => line(v.name, berth[i][round]))].join(' | ')}\n`);
    }
    if ([...raw, ...berth.flat()].some((x) => x.errors > 0)) throw new Error(`errors during the list benchmark: ${JSON.stringify({ raw, berth })}`);
    const m = (xs: Sample[], k: 'p50' | 'p99' | 'rps') => median(xs.map((x) => x[k]));
    for (const [i, v] of variants.entries()) {
      const b = berth[i];
      rows.push(
        `| ${v.name} | ${connections} | ${fmt(m(raw, 'p50'))} / ${fmt(m(raw, 'p99'))} | ${fmt(m(b, 'p50'))} / ${fmt(m(b, 'p99'))} | **${fmt(m(b, 'p50') / m(raw, 'p50'))}×** / ${fmt(m(b, 'p99') / m(raw, 'p99'))}× | ${fmt(m(raw, 'rps'), 0)} | ${fmt(m(b, 'rps'), 0)} | ${fmt(median(b.map((x) => x.cpuMs ?? 0)))} |`,
      );
    }
  }
  return rows;
}

async function rawRun(runId: string): Promise<number> {
  const start = performance.now();
  const c = await docker.createContainer({ Image: BUSYBOX_IMAGE, Cmd: ['true'], Labels: { [BENCH_LABEL]: runId } });
  await c.start();
  const exit = (await c.wait()) as { StatusCode: number };
  const ms = performance.now() - start;
  if (exit.StatusCode !== 0) throw new Error(`raw run exited ${exit.StatusCode}`);
  return ms;
}

async function berthRun(v: Variant): Promise<number> {
  const start = performance.now();
  const res = await fetch(`${v.api.url}/containers?wait=true`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${v.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ image: BUSYBOX_IMAGE, command: ['true'] }),
  });
  const body = (await res.json()) as { exitCode?: number };
  const ms = performance.now() - start;
  if (res.status !== 201 || body.exitCode !== 0) throw new Error(`Berth run failed: ${res.status} ${JSON.stringify(body)}`);
  return ms;
}

async function runBench(variants: Variant[], runId: string) {
  const raw: number[] = [];
  const berth = variants.map(() => [] as number[]);
  for (let i = 0; i < 3; i++) {
    await rawRun(runId);
    for (const v of variants) await berthRun(v);
  }
  for (let i = 0; i < RUNS; i++) {
    raw.push(await rawRun(runId));
    for (const [j, v] of variants.entries()) berth[j].push(await berthRun(v));
  }
  process.stdout.write(`  run: engine ${raw.map((x) => fmt(x, 0)).join(' ')} ms\n`);
  for (const [j, v] of variants.entries()) process.stdout.write(`  run: ${v.name} ${berth[j].map((x) => fmt(x, 0)).join(' ')} ms\n`);
  const p90 = (xs: number[]) => percentile(xs, 90);
  return variants.map(
    (v, j) =>
      `| ${v.name} | ${fmt(median(raw), 0)} / ${fmt(p90(raw), 0)} | ${fmt(median(berth[j]), 0)} / ${fmt(p90(berth[j]), 0)} | **${fmt(median(berth[j]) / median(raw))}×** / ${fmt(p90(berth[j]) / p90(raw))}× |`,
  );
}

async function startVariant(name: string, env: Record<string, string>, dataDir: string): Promise<Variant> {
  const db = await createTestDatabase();
  const token = newBootstrapToken();
  try {
    const api = await startApi({ DATABASE_URL: db.url, BERTH_SECRET_KEY: TEST_SECRET_KEY, BERTH_BOOTSTRAP_TOKEN: token, BERTH_DATA_DIR: dataDir, ...env }, dataDir, name);
    return { name, api, token, db, teamId: await defaultTeamId(db.url) };
  } catch (err) {
    await db.drop();
    throw err;
  }
}

async function main(): Promise<void> {
  const runId = randomBytes(4).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-'));
  const variants: Variant[] = [];
  try {
    await ensureBusyboxImage();
    const loadBefore = load();
    variants.push(await startVariant('berth', {}, dataDir));
    if (NOCACHE) variants.push(await startVariant('berth-nocache', { BERTH_AUTH_CACHE_MS: '0' }, dataDir));
    if (FLOOR) for (const f of FLOORS) variants.push({ name: f.name, token: 'none', api: await startApi({}, dataDir, f.name, f.entry) });

    const existing = (await docker.listContainers()).length;
    for (let i = existing; i < CONTAINERS; i++) {
      const c = await docker.createContainer({ Image: BUSYBOX_IMAGE, Cmd: ['sleep', '3600'], Labels: { [BENCH_LABEL]: runId } });
      await c.start();
    }
    const onHost = (await docker.listContainers()).length;
    process.stdout.write(
      `Berth API benchmark on ${machine()}\n${onHost} running containers on the host; ${ROUNDS} interleaved rounds of ${SECONDS} s per path; ` +
        `Berth with its defaults${NOCACHE ? ' and with BERTH_AUTH_CACHE_MS=0 (berth-nocache)' : ''}${FLOOR ? '; floors: floor-node (bare Node http + dockerode), floor-nest (one-controller NestJS app)' : ''}; load average before: ${loadBefore}\n\n`,
    );

    const list = await listBench(variants);
    const run = await runBench(variants.filter((v) => v.db), runId);
    process.stdout.write(
      [
        '',
        `GET /containers vs engine GET /containers/json (${onHost} containers; latency ms, median of rounds)`,
        '| Berth | connections | engine p50 / p99 | Berth p50 / p99 | ratio p50 / p99 | engine req/s | Berth req/s | Berth CPU ms/req |',
        '|---|---|---|---|---|---|---|---|',
        ...list,
        '',
        `POST /containers?wait=true (busybox true) vs dockerode create+start+wait, ${RUNS} interleaved runs each`,
        '| Berth | engine median / p90 ms | Berth median / p90 ms | ratio median / p90 |',
        '|---|---|---|---|',
        ...run,
        '',
        'Targets: list ≤ 1.30× (median), run ≤ 1.20× (median).',
        `Load average (1, 5, 15 min) before: ${loadBefore}; after: ${load()}`,
        '',
      ].join('\n'),
    );
  } finally {
    await removeContainersByLabel(BENCH_LABEL, runId).catch(() => undefined);
    for (const v of variants) {
      if (v.teamId) await removeContainersByLabel('io.berth.team', v.teamId).catch(() => undefined);
      await v.api.stop().catch(() => undefined);
      await v.db?.drop().catch(() => undefined);
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench:api failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
