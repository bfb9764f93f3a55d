import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { auth, startTestApp, TestApp } from './helpers/app';
import { BUSYBOX_IMAGE, docker, removeContainersByLabel } from './helpers/docker';
import { metric, StreamClient } from './helpers/stream';
import { createTeamToken, defaultTeamId, TeamToken } from './helpers/tokens';
import { waitFor } from './helpers/wait';

const RUN_LABEL = 'io.berth.test.run';
const RUN = `stream-exec-${randomBytes(4).toString('hex')}`;

describe('/ws: interactive exec', () => {
  let t: TestApp;
  let teamA: string;
  let viewer: TeamToken;
  let teamB: TeamToken;
  let container: Docker.Container;
  let containerId: string;
  const clients: StreamClient[] = [];
  const open = async (token = t.token) => {
    const c = await StreamClient.ready(t.url, token);
    clients.push(c);
    return c;
  };
  /** Everything a session printed so far, as one string. */
  const output = (c: StreamClient, session: string, stream?: string) =>
    c
      .of('exec.output')
      .filter((m) => m.session === session && (stream === undefined || m.stream === stream))
      .map((m) => m.data)
      .join('');
  const metrics = async () => (await t.http.get('/metrics').set(auth(t.token))).text;

  beforeAll(async () => {
    t = await startTestApp();
    teamA = await defaultTeamId(t.databaseUrl);
    viewer = await createTeamToken(t.databaseUrl, 'default', 'viewer');
    teamB = await createTeamToken(t.databaseUrl, 'team-b', 'admin');
    container = await docker.createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"],
      Labels: { [RUN_LABEL]: RUN, 'io.berth.team': teamA },
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    containerId = (await container.inspect()).Id;
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  afterAll(async () => {
    await removeContainersByLabel(RUN_LABEL, RUN);
    await t?.close();
  });

  it('runs a shell with a TTY: echoes what is typed, resizes, and reports the exit code', async () => {
    const c = await open();
    const started = await c.request({ type: 'exec.start', session: 'sh1', container: containerId, cmd: ['sh'], cols: 80, rows: 24 }, 'exec.started');
    expect(started).toEqual({ type: 'exec.started', ref: expect.any(String), session: 'sh1', execId: expect.stringMatching(/^[0-9a-f]{64}$/), containerId, tty: true });

    c.send({ type: 'exec.stdin', session: 'sh1', data: 'stty size\n' });
    await waitFor(() => output(c, 'sh1').includes('24 80'), { what: 'the initial size' });

    c.send({ type: 'exec.resize', session: 'sh1', cols: 132, rows: 50 });
    c.send({ type: 'exec.stdin', session: 'sh1', data: 'stty size\n' });
    await waitFor(() => output(c, 'sh1').includes('50 132'), { what: 'the new size' });

    c.send({ type: 'exec.stdin', session: 'sh1', data: 'echo out-$((40+2))\n' });
    await waitFor(() => output(c, 'sh1').includes('out-42\r\n'), { what: 'the command output' });
    // The terminal echoed the input itself.
    expect(output(c, 'sh1')).toContain('echo out-$((40+2))');
    expect(c.of('exec.output').every((m) => m.stream === undefined)).toBe(true);

    c.send({ type: 'exec.stdin', session: 'sh1', data: 'exit 7\n' });
    expect(await c.waitFor((m) => m.type === 'exec.exit', 'exec.exit')).toEqual({ type: 'exec.exit', session: 'sh1', exitCode: 7 });
    // The session is gone: its name is free again.
    expect(await c.request({ type: 'exec.stdin', session: 'sh1', data: 'x' }, 'none')).toMatchObject({ type: 'error', code: 'NO_SUCH_SESSION', session: 'sh1' });
  });

  it('without a TTY: keeps stdout and stderr apart, passes stdin through, and closes it on eof', async () => {
    const c = await open();
    await c.request({ type: 'exec.start', session: 'cat', container: containerId, cmd: ['cat'], tty: false }, 'exec.started');
    c.send({ type: 'exec.stdin', session: 'cat', data: 'hello\nwörld\n' });
    await waitFor(() => output(c, 'cat', 'stdout') === 'hello\nwörld\n', { what: 'cat to echo stdin' });
    c.send({ type: 'exec.stdin', session: 'cat', eof: true });
    expect(await c.waitFor((m) => m.type === 'exec.exit' && m.session === 'cat', 'cat to exit')).toMatchObject({ exitCode: 0 });

    await c.request({ type: 'exec.start', session: 'err', container: containerId, cmd: ['sh', '-c', 'echo oops >&2; echo fine; exit 3'], tty: false }, 'exec.started');
    expect(await c.waitFor((m) => m.type === 'exec.exit' && m.session === 'err', 'exit 3')).toMatchObject({ exitCode: 3 });
    expect(output(c, 'err', 'stderr')).toBe('oops\n');
    expect(output(c, 'err', 'stdout')).toBe('fine\n');
  });

  it('is for owner and admin tokens of the container’s team only', async () => {
    const v = await open(viewer.token);
    expect(await v.request({ type: 'exec.start', session: 's', container: containerId }, 'exec.started')).toMatchObject({ type: 'error', code: 'FORBIDDEN', session: 's' });
    const b = await open(teamB.token);
    expect(await b.request({ type: 'exec.start', session: 's', container: containerId }, 'exec.started')).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
    expect(v.of('exec.output').concat(b.of('exec.output'))).toEqual([]);
  });

  it('refuses a duplicate session name and a stopped container', async () => {
    const c = await open();
    await c.request({ type: 'exec.start', session: 'one', container: containerId, cmd: ['sh'] }, 'exec.started');
    expect(await c.request({ type: 'exec.start', session: 'one', container: containerId }, 'exec.started')).toMatchObject({ type: 'error', code: 'SESSION_EXISTS' });
    const stopped = await docker.createContainer({ Image: BUSYBOX_IMAGE, Cmd: ['true'], Labels: { [RUN_LABEL]: RUN, 'io.berth.team': teamA } });
    expect(await c.request({ type: 'exec.start', session: 'two', container: stopped.id }, 'exec.started')).toMatchObject({ type: 'error', code: 'CONFLICT' });
    c.send({ type: 'exec.close', session: 'one' });
    await c.waitFor((m) => m.type === 'exec.exit' && m.session === 'one', 'the closed session to end');
  });

  it('ends the process and frees the engine stream when the socket goes away', async () => {
    const c = await open();
    const started = await c.request({ type: 'exec.start', session: 'bye', container: containerId, cmd: ['sh'] }, 'exec.started');
    await waitFor(async () => metric(await metrics(), 'berth_websocket_exec_sessions') === 1, { what: 'one exec session' });
    await c.close();
    await waitFor(async () => {
      const text = await metrics();
      return metric(text, 'berth_websocket_exec_sessions') === 0 && (metric(text, 'berth_docker_streams_open', 'operation="execStart"') ?? 0) === 0;
    }, { what: 'the session and its engine stream to close' });
    await waitFor(async () => !(await docker.getExec(started.execId).inspect()).Running, { what: 'the shell to exit on end of input' });
  });
});
