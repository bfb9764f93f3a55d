/**
 * npm run bench:logs — container log delivery over /ws. One busybox container prints LINES lines
 * as fast as it can (`seq`); we compare the lines/s received by
 *   (a) a raw engine log follow over the Docker socket (dockerode, same demux as the API), and
 *   (b) 1, 10 and 50 /ws subscribers of containers/<id>/logs,
 * and the delivery latency (engine timestamp of a line → its arrival at the client), p50/p99.
 * Then the latency without a backlog (a paced container, raw and /ws side by side), and the API's
 * RSS during a run with one deliberately stalled subscriber (and one healthy one).
 * Interleaved rounds, one fresh container per run. Results: bench/README.md.
 *
 * Knobs: BENCH_LINES (500000), BENCH_ROUNDS (3), BENCH_FANOUTS ("1,10,50"), BENCH_PACED_LINES (3000),
 * BENCH_STALL_LINES (2000000; 0 skips), BENCH_DEBUG=1 (lines per message), BENCH_API_NODE_OPTIONS.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import WebSocket from 'ws';
import { LogParser } from '../apps/api/src/containers/log-demux';
import { newBootstrapToken, TEST_SECRET_KEY } from '../test/helpers/app';
import { createTestDatabase } from '../test/helpers/database';
import { BUSYBOX_IMAGE, docker, ensureBusyboxImage, removeContainersByLabel } from '../test/helpers/docker';
import { spawnApi } from '../test/helpers/process';
import { metric, wsUrl } from '../test/helpers/stream';
import { defaultTeamId } from '../test/helpers/tokens';
import { machine, median, percentile } from './machine';

const LINES = Number(process.env.BENCH_LINES ?? 500_000);
const STALL_LINES = Number(process.env.BENCH_STALL_LINES ?? 2_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PACED_LINES = Number(process.env.BENCH_PACED_LINES ?? 3_000);
const FANOUTS = (process.env.BENCH_FANOUTS ?? '1,10,50').split(',').map(Number);
const LABEL = 'io.berth.bench.run';
const RUN = `logs-${randomBytes(4).toString('hex')}`;

interface Result {
  /** Lines per second per receiver (from the trigger to its last line). */
  rates: number[];
  /** Milliseconds from the engine's timestamp of a line to its arrival, sampled per message. */
  latencies: number[];
  dropped: number;
}

/** Wall-clock milliseconds with sub-millisecond precision (Date.now() truncates). */
const nowMs = () => performance.timeOrigin + performance.now();

const tsMs = (ts: string) => {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(ts);
  return m ? Date.parse(`${m[1]}Z`) + Number(`0${m[2] ?? ''}`) * 1000 : NaN;
};

async function printer(teamId: string, lines: number): Promise<Docker.Container> {
  const c = await docker.createContainer({
    Image: BUSYBOX_IMAGE,
    Cmd: ['sh', '-c', `trap 'exit 0' TERM; while [ ! -f /go ]; do usleep 20000; done; seq 1 ${lines}; while true; do sleep 1 & wait $!; done`],
    Labels: { [LABEL]: RUN, 'io.berth.team': teamId },
    HostConfig: { NetworkMode: 'none' },
  });
  await c.start();
  return c;
}

async function go(c: Docker.Container): Promise<number> {
  const exec = await c.exec({ Cmd: ['touch', '/go'] });
  const start = performance.now();
  await exec.start({});
  return start;
}

/** (a) The engine directly: one follow, demultiplexed like the API does it. */
async function raw(teamId: string): Promise<Result> {
  const c = await printer(teamId, LINES);
  const stream = (await c.logs({ follow: true, stdout: true, stderr: true, timestamps: true, tail: 0 })) as NodeJS.ReadableStream & { destroy(): void };
  const parser = new LogParser({ tty: false, timestamps: true });
  const latencies: number[] = [];
  let count = 0;
  let last = 0;
  const done = new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      const entries = parser.push(chunk);
      if (!entries.length) return;
      count += entries.length;
      last = performance.now();
      latencies.push(nowMs() - tsMs(entries[entries.length - 1].timestamp!));
      if (count >= LINES) resolve();
    });
  });
  const start = await go(c);
  await done;
  stream.destroy();
  await c.remove({ force: true });
  return { rates: [(count / (last - start)) * 1000], latencies, dropped: 0 };
}

/** A /ws subscriber that counts lines without parsing whole messages (the client must not be the bottleneck). */
function subscriber(url: string, token: string, topic: string) {
  const ws = new WebSocket(wsUrl(url), { headers: { Authorization: `Bearer ${token}` } });
  const state = { count: 0, messages: 0, last: 0, dropped: 0, latencies: [] as number[], subscribed: false };
  ws.on('message', (data: Buffer) => {
    const text = data.toString();
    if (text.startsWith('{"type":"log"')) {
      let n = 0;
      for (let i = text.indexOf('{"stream":"'); i !== -1; i = text.indexOf('{"stream":"', i + 10)) n++;
      state.count += n;
      state.messages++;
      state.last = performance.now();
      const t = text.lastIndexOf('"timestamp":"');
      if (t !== -1) state.latencies.push(nowMs() - tsMs(text.slice(t + 13, text.indexOf('"', t + 13))));
      return;
    }
    const m = JSON.parse(text);
    if (m.type === 'ready') ws.send(JSON.stringify({ type: 'subscribe', topic, tail: 0, timestamps: true }));
    else if (m.type === 'subscribed') state.subscribed = true;
    else if (m.type === 'dropped') state.dropped += m.lines ?? 0;
    else if (m.type === 'error') throw new Error(`${m.code}: ${m.message}`);
  });
  return { ws, state };
}

async function until(check: () => boolean, what: string, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** (b) k sockets on the same container's logs through the API. */
async function viaApi(url: string, token: string, teamId: string, k: number): Promise<Result> {
  const c = await printer(teamId, LINES);
  const subs = Array.from({ length: k }, () => subscriber(url, token, `containers/${c.id}/logs`));
  await until(() => subs.every((s) => s.state.subscribed), 'subscriptions');
  const start = await go(c);
  await until(() => subs.every((s) => s.state.count + s.state.dropped >= LINES), `${k} subscribers to get ${LINES} lines`);
  for (const s of subs) s.ws.close();
  await c.remove({ force: true });
  if (process.env.BENCH_DEBUG) process.stdout.write(`  ${k} subscribers: ${(subs[0].state.count / subs[0].state.messages).toFixed(1)} lines per message\n`);
  return {
    rates: subs.map((s) => (s.state.count / (s.state.last - start)) * 1000),
    latencies: subs.flatMap((s) => s.state.latencies),
    dropped: subs.reduce((a, s) => a + s.state.dropped, 0),
  };
}

/**
 * (d) Latency without a backlog: a container printing ~PACED_RATE lines/s (far below what the engine
 * can log), followed at the same time by a raw engine follow and 10 /ws subscribers, so the
 * difference between their latencies is what the API adds.
 */
async function paced(url: string, token: string, teamId: string): Promise<{ raw: number[]; ws: number[] }> {
  const c = await docker.createContainer({
    Image: BUSYBOX_IMAGE,
    Cmd: ['sh', '-c', `trap 'exit 0' TERM; while [ ! -f /go ]; do usleep 20000; done; i=0; while [ $i -lt ${PACED_LINES} ]; do echo paced-$i; i=$((i+1)); usleep 2000; done; while true; do sleep 1 & wait $!; done`],
    Labels: { [LABEL]: RUN, 'io.berth.team': teamId },
    HostConfig: { NetworkMode: 'none' },
  });
  await c.start();
  const stream = (await c.logs({ follow: true, stdout: true, stderr: true, timestamps: true, tail: 0 })) as NodeJS.ReadableStream & { destroy(): void };
  const parser = new LogParser({ tty: false, timestamps: true });
  const raw: number[] = [];
  let rawCount = 0;
  stream.on('data', (chunk: Buffer) => {
    const now = nowMs();
    for (const e of parser.push(chunk)) {
      rawCount++;
      raw.push(now - tsMs(e.timestamp!));
    }
  });
  const subs = Array.from({ length: 10 }, () => subscriber(url, token, `containers/${c.id}/logs`));
  await until(() => subs.every((s) => s.state.subscribed), 'subscriptions');
  await go(c);
  await until(() => rawCount >= PACED_LINES && subs.every((s) => s.state.count >= PACED_LINES), 'the paced lines');
  stream.destroy();
  for (const s of subs) s.ws.close();
  await c.remove({ force: true });
  return { raw, ws: subs.flatMap((s) => s.state.latencies) };
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** (c) One stalled and one healthy subscriber: the API's RSS stays bounded while the stalled one falls behind. */
async function stalled(url: string, token: string, teamId: string, pid: number) {
  if (!STALL_LINES) return { before: 0, peak: 0, after: 0, peakBuffered: 0, dropped: 0, healthyLines: 0 };
  const c = await printer(teamId, STALL_LINES);
  const topic = `containers/${c.id}/logs`;
  const healthy = subscriber(url, token, topic);
  const stuck = subscriber(url, token, topic);
  await until(() => healthy.state.subscribed && stuck.state.subscribed, 'subscriptions');
  (stuck.ws as unknown as { _socket: import('node:net').Socket })._socket.pause();
  const s = (stuck.ws as unknown as { _socket: import('node:net').Socket })._socket;
  s.resume = () => s;
  const before = rssMb(pid);
  let peak = before;
  let peakBuffered = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
  await go(c);
  let samples = 0;
  while (healthy.state.count < STALL_LINES) {
    await new Promise((r) => setTimeout(r, 200));
    if (++samples % 5 === 0) {
      const text = await (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${token}` } })).text();
      peakBuffered = Math.max(peakBuffered, metric(text, 'berth_websocket_send_buffer_bytes', 'stat="max"') ?? 0);
    }
  }
  clearInterval(sampler);
  const after = rssMb(pid);
  const text = await (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${token}` } })).text();
  const dropped = metric(text, 'berth_websocket_dropped_log_lines_total') ?? 0;
  healthy.ws.close();
  stuck.ws.terminate();
  await c.remove({ force: true });
  return { before, peak, after, peakBuffered, dropped, healthyLines: healthy.state.count };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  await ensureBusyboxImage();
  const db = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-bench-logs-'));
  const token = newBootstrapToken();
  const api = await spawnApi({ DATABASE_URL: db.url, BERTH_SECRET_KEY: TEST_SECRET_KEY, BERTH_DATA_DIR: dataDir, BERTH_BOOTSTRAP_TOKEN: token, BERTH_WS_MAX_SOCKETS_PER_TOKEN: '100', NODE_OPTIONS: process.env.BENCH_API_NODE_OPTIONS });
  try {
    const url = api.url;
    const teamId = await defaultTeamId(db.url);
    const results: Record<string, Result[]> = { raw: [] };
    for (const k of FANOUTS) results[`ws${k}`] = [];
    for (let round = 0; round < ROUNDS; round++) {
      results.raw.push(await raw(teamId));
      for (const k of FANOUTS) results[`ws${k}`].push(await viaApi(url, token, teamId, k));
      process.stdout.write(
        `round ${round + 1}: raw ${fmt(results.raw[round].rates[0])} lines/s; ` +
          FANOUTS.map((k) => `${k} sub ${fmt(median(results[`ws${k}`][round].rates))}`).join(', ') +
          '\n',
      );
    }
    const rawRate = median(results.raw.map((r) => r.rates[0]));
    const row = (name: string, rs: Result[]) => {
      const rates = rs.flatMap((r) => r.rates);
      const lat = rs.flatMap((r) => r.latencies);
      const dropped = rs.reduce((a, r) => a + r.dropped, 0);
      return `| ${name} | ${fmt(median(rates))} | ${fmt(Math.min(...rates))} | ${(median(rates) / rawRate).toFixed(2)} | ${(Math.min(...rates) / rawRate).toFixed(2)} | ${percentile(lat, 50).toFixed(0)} | ${percentile(lat, 99).toFixed(0)} | ${fmt(dropped)} |`;
    };
    process.stdout.write(`\n${LINES.toLocaleString('en-US')} lines per run, median of ${ROUNDS} rounds\n\n`);
    process.stdout.write('| receiver | lines/s (median) | lines/s (slowest) | ratio to raw (median) | ratio (slowest) | latency p50 ms | latency p99 ms | lines dropped |\n|---|---|---|---|---|---|---|---|\n');
    process.stdout.write(`${row('raw engine follow', results.raw)}\n`);
    for (const k of FANOUTS) process.stdout.write(`${row(`/ws, ${k} subscriber${k > 1 ? 's' : ''}`, results[`ws${k}`])}\n`);

    if (PACED_LINES) {
      const p = await paced(url, token, teamId);
      process.stdout.write(
        `\npaced (${PACED_LINES.toLocaleString('en-US')} lines, ~2 ms apart): latency raw follow p50 ${percentile(p.raw, 50).toFixed(1)} ms / p99 ${percentile(p.raw, 99).toFixed(1)} ms; ` +
          `/ws (10 subscribers, per message) p50 ${percentile(p.ws, 50).toFixed(1)} ms / p99 ${percentile(p.ws, 99).toFixed(1)} ms\n`,
      );
    }
    const s = await stalled(url, token, teamId, api.child.pid!);
    if (STALL_LINES) process.stdout.write(
      `\nstalled subscriber, ${STALL_LINES.toLocaleString('en-US')} lines: API RSS ${s.before.toFixed(0)} MB before, peak ${s.peak.toFixed(0)} MB, ${s.after.toFixed(0)} MB after; ` +
        `largest send buffer ${(s.peakBuffered / 1024).toFixed(0)} KiB (limit 1024 KiB); ${fmt(s.dropped)} lines dropped for the stalled socket; healthy subscriber got ${fmt(s.healthyLines)}\n`,
    );
    process.stdout.write(`machine: ${machine()}; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  } finally {
    await api.stop('SIGTERM');
    await removeContainersByLabel(LABEL, RUN);
    await db.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
