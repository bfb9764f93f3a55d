import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { auth, startTestApp, TestApp } from './helpers/app';
import { BUSYBOX_IMAGE, docker, removeContainersByLabel } from './helpers/docker';
import { metric, StreamClient } from './helpers/stream';
import { createTeamToken, defaultTeamId, TeamToken } from './helpers/tokens';
import { waitFor } from './helpers/wait';

const SEND_BUFFER = 64 * 1024;
const RUN_LABEL = 'io.berth.test.run';
const RUN = `stream-logs-${randomBytes(4).toString('hex')}`;

/** Keeps running after SIGTERM's `exit 0`, so stop/restart are quick. */
const forever = (body: string) => `trap 'exit 0' TERM; ${body}; while true; do sleep 1 & wait $!; done`;

describe('/ws: container and deployment logs', () => {
  let t: TestApp;
  let teamA: string;
  let teamB: TeamToken;
  const clients: StreamClient[] = [];
  const open = async (token = t.token) => {
    const c = await StreamClient.ready(t.url, token);
    clients.push(c);
    return c;
  };

  async function run(cmd: string, labels: Record<string, string> = {}, name?: string): Promise<Docker.Container> {
    const c = await docker.createContainer({
      Image: BUSYBOX_IMAGE,
      name,
      Cmd: ['sh', '-c', cmd],
      Labels: { [RUN_LABEL]: RUN, 'io.berth.team': teamA, ...labels },
      HostConfig: { NetworkMode: 'none' },
    });
    await c.start();
    return c;
  }

  /** Writes a line to the container's stdout (or stderr) from outside, through PID 1's descriptors. */
  async function say(c: Docker.Container, line: string, fd = 1): Promise<void> {
    const exec = await c.exec({ Cmd: ['sh', '-c', `echo ${line} > /proc/1/fd/${fd}`], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    await new Promise((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.resume();
    });
  }

  const metrics = async () => (await t.http.get('/metrics').set(auth(t.token))).text;
  const lines = (c: StreamClient, topic: string) => c.of('log', topic).flatMap((m) => m.lines.map((l: any) => ({ ...l, containerId: m.containerId, slot: m.slot, revision: m.revision })));

  beforeAll(async () => {
    t = await startTestApp({ env: { BERTH_WS_SEND_BUFFER_BYTES: String(SEND_BUFFER), BERTH_WS_MAX_SOCKETS_PER_TOKEN: '60' } });
    teamA = await defaultTeamId(t.databaseUrl);
    teamB = await createTeamToken(t.databaseUrl, 'team-b', 'admin');
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await removeContainersByLabel(RUN_LABEL, RUN);
    await t?.close();
  });

  it('sends history (tail) then live lines, stdout and stderr apart, with timestamps on request', async () => {
    const name = `${RUN}-history`;
    const c = await run(forever('for i in 1 2 3; do echo out-$i; echo err-$i >&2; done'), {}, name);
    const info = await c.inspect();
    await waitFor(async () => (await c.logs({ stdout: true, stderr: true })).toString().includes('err-3'), { what: 'the first lines' });

    const s = await open();
    const topic = `containers/${info.Id}/logs`;
    expect(await s.subscribe(topic, { timestamps: true })).toEqual({ type: 'subscribed', ref: expect.any(String), topic, carries: 'logs', containers: [{ containerId: info.Id }] });
    await waitFor(() => lines(s, topic).length === 6, { what: 'six history lines' });
    const history = lines(s, topic);
    expect(history.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual(['out-1', 'out-2', 'out-3']);
    expect(history.filter((l) => l.stream === 'stderr').map((l) => l.line)).toEqual(['err-1', 'err-2', 'err-3']);
    expect(history.every((l) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(l.timestamp) && l.containerId === info.Id)).toBe(true);

    await say(c, 'live-1');
    await say(c, 'live-err', 2);
    await waitFor(() => lines(s, topic).length === 8, { what: 'two live lines' });
    expect(lines(s, topic).slice(6).map((l) => [l.stream, l.line])).toEqual([
      ['stdout', 'live-1'],
      ['stderr', 'live-err'],
    ]);

    // By name, stderr only, no timestamps. (As with `docker logs --tail`, tail counts the last
    // lines of both streams before the filter, and the engine interleaves the two pipes as it
    // reads them; a tail that covers the whole log keeps this test independent of that order.)
    const byName = `containers/${name}/logs`;
    await s.subscribe(byName, { tail: 100, stream: 'stderr' });
    await waitFor(() => lines(s, byName).length === 4, { what: 'four stderr lines' });
    expect(lines(s, byName)).toEqual(['err-1', 'err-2', 'err-3', 'live-err'].map((line) => ({ stream: 'stderr', line, containerId: info.Id })));
    await say(c, 'only-stdout');
    await say(c, 'more-err', 2);
    await waitFor(() => lines(s, byName).length === 5, { what: 'the next stderr line' });
    expect(lines(s, byName)[4].line).toBe('more-err');
    expect(await s.request({ type: 'unsubscribe', topic: byName }, 'unsubscribed')).toMatchObject({ topic: byName, reason: 'requested' });
  });

  it('loses and repeats no line where history meets the live stream', async () => {
    const c = await run(forever('i=0; while [ $i -lt 100000 ]; do echo n-$i; i=$((i+1)); usleep 2000; done'));
    const id = (await c.inspect()).Id;
    await waitFor(async () => (await c.logs({ stdout: true, tail: 1 })).toString().includes('n-5'), { what: 'some lines' });
    const topic = `containers/${id}/logs`;
    const check = async (tail: number | 'all') => {
      const s = await open();
      await s.subscribe(topic, { tail });
      await waitFor(() => lines(s, topic).length >= 300, { what: `300 lines with tail ${tail}` });
      const numbers = lines(s, topic).map((l) => Number(l.line.slice(2)));
      if (tail === 'all') expect(numbers[0]).toBe(0);
      else expect(numbers.length).toBeGreaterThanOrEqual(tail);
      // Contiguous: every number once, in order.
      expect(numbers).toEqual(numbers.map((_, i) => numbers[0] + i));
    };
    await check('all'); // opens the shared stream
    await check(5); // joins it
  });

  it('shares one engine log stream among 50 sockets and closes it when the last leaves', async () => {
    const c = await run(forever('i=0; while true; do echo tick-$i; i=$((i+1)); usleep 100000; done'));
    const id = (await c.inspect()).Id;
    const topic = `containers/${id}/logs`;
    const before = await metrics();
    const openedBefore = metric(before, 'berth_stream_log_follows_opened_total') ?? 0;
    expect(metric(before, 'berth_docker_streams_open', 'operation="containerLogsFollow"') ?? 0).toBe(0);

    const sockets = await Promise.all(Array.from({ length: 50 }, () => open()));
    await Promise.all(sockets.map((s) => s.subscribe(topic, { tail: 0 })));
    await Promise.all(sockets.map((s) => waitFor(() => lines(s, topic).length >= 2, { what: 'lines on every socket' })));

    const during = await metrics();
    expect(metric(during, 'berth_docker_streams_open', 'operation="containerLogsFollow"')).toBe(1);
    expect(metric(during, 'berth_stream_log_sources')).toBe(1);
    expect(metric(during, 'berth_stream_log_follows_opened_total')).toBe(openedBefore + 1);
    expect(metric(during, 'berth_websocket_subscriptions', 'carries="logs"')).toBe(50);
    // Every socket saw the same lines from the one stream.
    const tick = lines(sockets[0], topic)[1].line;
    await Promise.all(sockets.map((s) => waitFor(() => lines(s, topic).some((l) => l.line === tick), { what: `${tick} on every socket` })));

    await Promise.all(sockets.slice(0, 49).map((s) => s.close()));
    await waitFor(async () => metric(await metrics(), 'berth_websocket_subscriptions', 'carries="logs"') === 1, { what: '49 sockets gone' });
    expect(metric(await metrics(), 'berth_docker_streams_open', 'operation="containerLogsFollow"')).toBe(1);
    await sockets[49].close();
    // The engine connection itself is closed (the gauge drops when its socket closes).
    await waitFor(async () => {
      const text = await metrics();
      return metric(text, 'berth_docker_streams_open', 'operation="containerLogsFollow"') === 0 && metric(text, 'berth_stream_log_sources') === 0;
    }, { what: 'the engine log stream to close' });
    expect(metric(await metrics(), 'berth_stream_log_follows_opened_total')).toBe(openedBefore + 1);
  });

  it('drops lines for a stalled subscriber and says how many; its buffer stays bounded; a healthy one gets every line', async () => {
    const TOTAL = 300_000;
    const c = await run(forever(`while [ ! -f /go ]; do usleep 50000; done; seq 1 ${TOTAL}`));
    const id = (await c.inspect()).Id;
    const topic = `containers/${id}/logs`;
    const stalled = await open();
    const healthy = await open();
    await stalled.subscribe(topic, { tail: 0 });
    await healthy.subscribe(topic, { tail: 0 });

    let healthyCount = 0;
    let outOfOrder = 0;
    healthy.onMessage = (m) => {
      if (m.type !== 'log') return true;
      for (const l of m.lines) if (Number(l.line) !== ++healthyCount) outOfOrder++;
      return false;
    };
    const stalledNumbers: number[] = [];
    let droppedLines = 0;
    stalled.onMessage = (m) => {
      if (m.type === 'log') for (const l of m.lines) stalledNumbers.push(Number(l.line));
      else if (m.type === 'dropped') droppedLines += m.lines;
      return m.type !== 'log';
    };
    stalled.stall();
    await c.exec({ Cmd: ['touch', '/go'] }).then((e) => e.start({}));

    let maxBuffered = 0;
    await waitFor(
      async () => {
        maxBuffered = Math.max(maxBuffered, metric(await metrics(), 'berth_websocket_send_buffer_bytes', 'stat="max"') ?? 0);
        return healthyCount >= TOTAL;
      },
      { what: `the healthy subscriber to get ${TOTAL} lines`, timeoutMs: 120_000, intervalMs: 100 },
    );
    expect(healthyCount).toBe(TOTAL);
    expect(outOfOrder).toBe(0);
    expect(healthy.of('dropped')).toEqual([]);
    // The stalled socket never held more than its buffer (plus one message) in the server.
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(SEND_BUFFER + 64 * 1024);

    stalled.unstall();
    await waitFor(() => droppedLines > 0 && stalledNumbers.length + droppedLines === TOTAL, { what: 'the stalled subscriber to account for every line', timeoutMs: 60_000 });
    expect(stalledNumbers.length).toBeLessThan(TOTAL);
    // What it did get is in order, and every line is either received or counted as dropped.
    expect(stalledNumbers.every((n, i) => i === 0 || n > stalledNumbers[i - 1])).toBe(true);
    expect(stalledNumbers[0]).toBe(1);
    expect(stalled.closed).toBeUndefined();
  });

  it('follows a container across a restart, and ends with `unsubscribed` when it is removed', async () => {
    const c = await run(`trap 'exit 0' TERM; n=$(cat /n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /n; echo boot-$n; while true; do sleep 1 & wait $!; done`);
    const id = (await c.inspect()).Id;
    const topic = `containers/${id}/logs`;
    const s = await open();
    await s.subscribe(topic, { tail: 'all' });
    await s.waitFor((m) => m.type === 'log' && m.lines.some((l: any) => l.line === 'boot-1'), 'boot-1');
    await c.restart({ t: 5 });
    await s.waitFor((m) => m.type === 'log' && m.lines.some((l: any) => l.line === 'boot-2'), 'boot-2 after the restart');
    expect(lines(s, topic).map((l) => l.line)).toEqual(['boot-1', 'boot-2']);
    await c.remove({ force: true });
    expect(await s.waitFor((m) => m.type === 'unsubscribed', 'unsubscribed')).toEqual({ type: 'unsubscribed', topic, reason: 'removed' });
  });

  it("answers another team's container with NOT_FOUND, like a missing one", async () => {
    const c = await run(forever('echo secret'));
    const id = (await c.inspect()).Id;
    const b = await open(teamB.token);
    for (const topic of [`containers/${id}/logs`, `containers/${id.slice(0, 12)}/logs`, 'containers/no-such-container/logs']) {
      const reply = await b.request({ type: 'subscribe', topic }, 'subscribed');
      expect(reply).toMatchObject({ type: 'error', code: 'NOT_FOUND', topic });
    }
    expect(b.of('log')).toEqual([]);
  });

  it('merges a deployment’s replicas, tagged by slot and container, and keeps going across a replacement', async () => {
    const replica = (revision: number, slot: number, team = teamB.teamId) => ({
      'io.berth.team': team,
      'io.berth.deployment': 'web',
      'io.berth.role': 'replica',
      'io.berth.revision': String(revision),
      'io.berth.slot': String(slot),
    });
    const old = await run(forever('i=0; while true; do echo r1-$i; i=$((i+1)); usleep 100000; done'), replica(1, 1));
    const oldId = (await old.inspect()).Id;
    // Another team's deployment with the same name stays out of team B's stream.
    await run(forever('while true; do echo decoy; usleep 100000; done'), replica(1, 1, teamA));

    const s = await open(teamB.token);
    const topic = 'deployments/web/logs';
    const sub = await s.subscribe(topic, { tail: 0 });
    expect(sub.containers).toEqual([{ containerId: oldId, slot: 1, revision: 1 }]);
    await waitFor(() => lines(s, topic).filter((l) => l.line.startsWith('r1-')).length >= 3, { what: 'lines of the old replica' });
    expect(lines(s, topic).every((l) => l.containerId === oldId && l.slot === 1 && l.revision === 1)).toBe(true);

    // The rollout: a revision-2 replica starts in slot 1, then the old one goes.
    const fresh = await run(forever('echo r2-boot; i=0; while true; do echo r2-$i; i=$((i+1)); usleep 100000; done'), replica(2, 1));
    const freshId = (await fresh.inspect()).Id;
    await waitFor(() => lines(s, topic).some((l) => l.line === 'r2-boot'), { what: 'the new replica’s first line' });
    await old.stop({ t: 5 });
    await old.remove();
    const afterRemoval = lines(s, topic).length;
    await waitFor(() => lines(s, topic).length >= afterRemoval + 5, { what: 'the stream to keep going after the old replica left' });

    const all = lines(s, topic);
    expect(all.filter((l) => l.line.startsWith('r1-')).every((l) => l.containerId === oldId && l.slot === 1 && l.revision === 1)).toBe(true);
    expect(all.filter((l) => l.line.startsWith('r2-')).every((l) => l.containerId === freshId && l.slot === 1 && l.revision === 2)).toBe(true);
    expect(all.find((l) => l.line === 'r2-boot')).toBeDefined(); // followed from its first line
    expect(all.filter((l) => l.line === 'decoy')).toEqual([]);
    expect(s.of('error')).toEqual([]);
    expect(s.of('unsubscribed')).toEqual([]);
  });
});
