import { randomBytes } from 'node:crypto';
import { get as httpGet, IncomingHttpHeaders } from 'node:http';
import { auth, startTestApp, TestApp } from './helpers/app';
import { BusyboxRegistry, gaugeValue, removeTeamObjects, startBusyboxRegistry } from './helpers/containers';
import { createTeamToken, TeamToken } from './helpers/tokens';
import { waitFor } from './helpers/wait';

const suite = randomBytes(4).toString('hex');
const RFC3339_NANO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,9}Z$/;

interface Follower {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly ended: boolean;
  destroy(): void;
}

describe('Container logs: tail, since, until, timestamps, stdout/stderr, follow (real engine)', () => {
  let t: TestApp;
  let team: TeamToken;
  let registry: BusyboxRegistry;
  let image: string;

  const run = async (body: object) => {
    const res = await t.http.post('/containers').set(auth(team.token)).send({ image, ...body });
    expect(res.status).toBe(201);
    return res.body.container as { id: string; name: string };
  };
  const logs = (id: string, query: Record<string, string> = {}) => t.http.get(`/containers/${id}/logs`).query(query).set(auth(team.token));
  const lines = async (id: string, query: Record<string, string> = {}) => {
    const res = await logs(id, query);
    expect(res.status).toBe(200);
    return res.body.entries as { stream: string; line: string; timestamp?: string }[];
  };
  const exec = (id: string, script: string) => t.http.post(`/containers/${id}/exec`).set(auth(team.token)).send({ cmd: ['sh', '-c', script] });
  /** Engine log streams this app holds open (other engine streams, such as the events feed, are not counted). */
  const streamsOpen = async () =>
    gaugeValue((await t.http.get('/metrics').set(auth(team.token))).text, 'berth_docker_streams_open', (labels) => /operation="containerLogs/.test(labels));

  /** Opens GET /containers/:id/logs?follow=true with a raw HTTP client the test can cut off. */
  function follow(id: string, accept: string | undefined, query: Record<string, string> = {}): Follower {
    const url = new URL(`/containers/${id}/logs`, t.url);
    for (const [k, v] of Object.entries({ follow: 'true', ...query })) url.searchParams.set(k, v);
    const state = { status: 0, headers: {} as IncomingHttpHeaders, body: '', ended: false };
    const req = httpGet(url, { headers: { ...auth(team.token), ...(accept ? { Accept: accept } : {}) } }, (res) => {
      state.status = res.statusCode ?? 0;
      state.headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (d: string) => (state.body += d));
      res.on('end', () => (state.ended = true));
      res.on('error', () => undefined);
    });
    req.on('error', () => undefined);
    return {
      get status() {
        return state.status;
      },
      get headers() {
        return state.headers;
      },
      get body() {
        return state.body;
      },
      get ended() {
        return state.ended;
      },
      destroy: () => req.destroy(),
    };
  }

  /** A container whose main process prints whatever is written to /tmp/f, so a test decides when lines appear. */
  const echoer = (extra: object = {}) => run({ command: ['sh', '-c', 'mkdir -p /tmp && mkfifo /tmp/f && while :; do cat /tmp/f; done'], ...extra });

  let printer: { id: string; name: string };
  let counter: { id: string; name: string };

  beforeAll(async () => {
    t = await startTestApp();
    team = await createTeamToken(t.databaseUrl, 'team-logs', 'admin');
    registry = await startBusyboxRegistry();
    image = registry.image;
    printer = await run({ name: `logs-printer-${suite}`, command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo out-$i; echo err-$i >&2; done; exec sleep 300'] });
    counter = await run({ command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line-$i; done; exec sleep 300'] });
    await waitFor(async () => (await lines(printer.id)).length === 10, { what: 'the printer to print ten lines' });
    await waitFor(async () => (await lines(counter.id)).length === 5, { what: 'the counter to print five lines' });
  });

  afterAll(async () => {
    try {
      if (team) await removeTeamObjects(team.teamId);
    } finally {
      await registry?.stop();
      await t?.close();
    }
  });

  it('returns what the container printed, demultiplexed: stdout and stderr kept apart and selectable', async () => {
    const all = await lines(printer.id);
    expect(all.filter((e) => e.stream === 'stdout').map((e) => e.line)).toEqual(['out-1', 'out-2', 'out-3', 'out-4', 'out-5']);
    expect(all.filter((e) => e.stream === 'stderr').map((e) => e.line)).toEqual(['err-1', 'err-2', 'err-3', 'err-4', 'err-5']);
    expect(all.every((e) => e.timestamp === undefined)).toBe(true);
    expect(await lines(printer.name, { stderr: 'false' })).toEqual(['out-1', 'out-2', 'out-3', 'out-4', 'out-5'].map((line) => ({ stream: 'stdout', line })));
    expect((await lines(printer.id, { stdout: 'false' })).map((e) => `${e.stream}:${e.line}`)).toEqual(['stderr:err-1', 'stderr:err-2', 'stderr:err-3', 'stderr:err-4', 'stderr:err-5']);
    const neither = await logs(printer.id, { stdout: 'false', stderr: 'false' });
    expect(neither.status).toBe(400);
    expect(neither.body.details).toEqual([expect.objectContaining({ field: 'stdout', rule: 'oneStream' })]);
  });

  it('tail, timestamps, since and until select exactly the lines the container printed then', async () => {
    const one = (line: string) => ({ stream: 'stdout', line });
    expect(await lines(counter.id, { tail: '2' })).toEqual([one('line-4'), one('line-5')]);
    expect(await lines(counter.id, { tail: '0' })).toEqual([]);
    // tail counts the log's last lines before stdout/stderr selection, as the engine (and docker logs) do.
    expect((await lines(printer.id, { tail: '10', stdout: 'false' })).map((e) => e.line)).toEqual(['err-1', 'err-2', 'err-3', 'err-4', 'err-5']);

    const stamped = await lines(counter.id, { timestamps: 'true' });
    expect(stamped.map((e) => e.line)).toEqual(['line-1', 'line-2', 'line-3', 'line-4', 'line-5']);
    for (const e of stamped) expect(e.timestamp).toMatch(RFC3339_NANO);

    const since = await lines(counter.id, { timestamps: 'true', since: stamped[2].timestamp! });
    expect(since).toEqual(stamped.slice(2));
    const until = await lines(counter.id, { until: stamped[1].timestamp! });
    expect(until).toEqual([one('line-1'), one('line-2')]);
    const between = await lines(counter.id, { since: stamped[1].timestamp!, until: stamped[3].timestamp! });
    expect(between).toEqual([one('line-2'), one('line-3'), one('line-4')]);
    const later = await lines(counter.id, { since: String(Math.floor(Date.parse(stamped[0].timestamp!) / 1000) + 3600) });
    expect(later).toEqual([]);

    const bad = await logs(counter.id, { since: 'yesterday' });
    expect(bad.status).toBe(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ field: 'since', rule: 'matches' })]);
  });

  it('answers text/plain when asked, with the lines as printed', async () => {
    const res = await logs(printer.id, { stderr: 'false' }).set('Accept', 'text/plain');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe('out-1\nout-2\nout-3\nout-4\nout-5\n');
  });

  it('reads a TTY container as one raw stream', async () => {
    const tty = await run({ tty: true, command: ['sh', '-c', 'echo tty-line; echo tty-err >&2; exec sleep 300'] });
    const entries = await waitFor(async () => {
      const e = await lines(tty.id);
      return e.length === 2 ? e : undefined;
    }, { what: 'the TTY container to print' });
    expect(entries).toEqual([
      { stream: 'stdout', line: 'tty-line' },
      { stream: 'stdout', line: 'tty-err' },
    ]);
  });

  it('follow=true streams new lines as server-sent events as they are printed, and ends when the container stops', async () => {
    const c = await echoer();
    const f = follow(c.id, 'text/event-stream', { tail: '0' });
    try {
      await waitFor(() => f.status === 200, { what: 'the follow response to start' });
      expect(f.headers['content-type']).toMatch(/^text\/event-stream/);
      expect((await exec(c.id, 'echo line-A > /tmp/f')).body.exitCode).toBe(0);
      await waitFor(() => f.body.includes('event: stdout\ndata: line-A\n\n'), { what: 'line-A to be streamed' });
      expect((await exec(c.id, 'echo line-B > /tmp/f')).body.exitCode).toBe(0);
      await waitFor(() => f.body.includes('event: stdout\ndata: line-B\n\n'), { what: 'line-B to be streamed' });
      expect(f.ended).toBe(false);

      expect((await t.http.post(`/containers/${c.id}/stop`).query({ timeout: '0' }).set(auth(team.token))).status).toBe(200);
      await waitFor(() => f.ended, { what: 'the stream to end when the container stops' });
      expect(f.body.endsWith('event: end\ndata: {}\n\n')).toBe(true);
      await waitFor(async () => (await streamsOpen()) === 0, { what: 'no engine stream left open' });
    } finally {
      f.destroy();
    }
  });

  it('follow=true streams text/plain chunked by default and NDJSON when asked', async () => {
    const c = await echoer();
    const plain = follow(c.id, undefined, { tail: '0' });
    const ndjson = follow(c.id, 'application/x-ndjson', { tail: '0', timestamps: 'true' });
    try {
      await waitFor(() => plain.status === 200 && ndjson.status === 200, { what: 'both follow responses to start' });
      expect(plain.headers['content-type']).toMatch(/^text\/plain/);
      expect(plain.headers['transfer-encoding']).toBe('chunked');
      expect(ndjson.headers['content-type']).toMatch(/^application\/x-ndjson/);
      await exec(c.id, 'echo plain-1 > /tmp/f');
      await waitFor(() => plain.body === 'plain-1\n', { what: 'plain-1 as text' });
      await waitFor(() => ndjson.body.endsWith('\n'), { what: 'plain-1 as NDJSON' });
      expect(JSON.parse(ndjson.body)).toEqual({ stream: 'stdout', timestamp: expect.stringMatching(RFC3339_NANO), line: 'plain-1' });
    } finally {
      plain.destroy();
      ndjson.destroy();
    }
  });

  it('a follower that disconnects releases its engine stream at once; the container keeps running', async () => {
    const c = await echoer();
    expect(await streamsOpen()).toBe(0);
    const f = follow(c.id, 'text/event-stream', { tail: 'all' });
    await waitFor(() => f.status === 200, { what: 'the follow response to start' });
    expect(await streamsOpen()).toBe(1);
    await exec(c.id, 'echo before-disconnect > /tmp/f');
    await waitFor(() => f.body.includes('data: before-disconnect'), { what: 'the line before disconnecting' });

    f.destroy();
    await waitFor(async () => (await streamsOpen()) === 0, { what: 'the engine log stream to be closed after the client left' });
    const state = (await t.http.get(`/containers/${c.id}`).set(auth(team.token))).body.state;
    expect(state.status).toBe('running');
    // And the container's output still flows to a new reader.
    await exec(c.id, 'echo after-disconnect > /tmp/f');
    await waitFor(async () => (await lines(c.id)).some((e) => e.line === 'after-disconnect'), { what: 'later output in the logs' });
  });

  it('404s for a container that does not exist, streaming or not', async () => {
    expect((await logs(`no-such-container-${suite}`)).status).toBe(404);
    const f = follow(`no-such-container-${suite}`, 'text/event-stream');
    try {
      await waitFor(() => f.ended, { what: 'the 404 response' });
      expect(f.status).toBe(404);
      expect(JSON.parse(f.body)).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    } finally {
      f.destroy();
    }
  });
});
