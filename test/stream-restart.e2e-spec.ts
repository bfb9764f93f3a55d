import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { PrismaService } from '../apps/api/src/database/prisma.service';
import { EventsRepository } from '../apps/api/src/events/events.repository';
import { EventsService } from '../apps/api/src/events/events.service';
import { newBootstrapToken, TEST_SECRET_KEY } from './helpers/app';
import { createTestDatabase, TestDatabase } from './helpers/database';
import { BUSYBOX_IMAGE, docker, removeContainersByLabel } from './helpers/docker';
import { ApiProcess, spawnApi } from './helpers/process';
import { StreamClient } from './helpers/stream';
import { defaultTeamId } from './helpers/tokens';
import { waitFor } from './helpers/wait';

const RUN_LABEL = 'io.berth.test.run';
const RUN = `stream-restart-${randomBytes(4).toString('hex')}`;

describe('/ws across an API restart', () => {
  let db: TestDatabase;
  let dataDir: string;
  let prisma: PrismaService;
  const apis: ApiProcess[] = [];
  const clients: StreamClient[] = [];
  const token = newBootstrapToken();

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'berth-stream-restart-'));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.all(apis.map((a) => a.stop('SIGKILL')));
    await prisma?.$disconnect();
    await removeContainersByLabel(RUN_LABEL, RUN);
    await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    const api = await spawnApi({ DATABASE_URL: db.url, BERTH_SECRET_KEY: TEST_SECRET_KEY, BERTH_BOOTSTRAP_TOKEN: token, BERTH_DATA_DIR: dataDir });
    apis.push(api);
    return api;
  };

  it('closes sockets with 1001 on SIGTERM, exits 0, and a resubscription with since gets exactly what happened meanwhile', async () => {
    const first = await start();
    const teamId = await defaultTeamId(db.url);
    const c1 = await StreamClient.ready(first.url, token);
    clients.push(c1);
    await c1.subscribe('events', { kinds: ['container.state', 'operation.step'] });

    // Live in the first process: the engine reports a team container's state changes.
    const container: Docker.Container = await docker.createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ['sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"],
      Labels: { [RUN_LABEL]: RUN, 'io.berth.team': teamId },
      HostConfig: { NetworkMode: 'none' },
    });
    await container.start();
    const started = await c1.waitFor((m) => m.type === 'event' && m.kind === 'container.state' && m.payload.action === 'start', 'container.state start');
    expect(started.payload).toMatchObject({ containerId: container.id, action: 'start' });
    const last = Math.max(...c1.of('event').map((m) => m.seq));

    // SIGTERM with the socket open: it is sent away (1001) and the process still exits cleanly.
    expect(await first.stop('SIGTERM')).toBe(0);
    expect(await c1.closedBy()).toEqual({ code: 1001, reason: 'Server shutting down' });

    // While the API is down, events land in the log (written by the same repository code).
    prisma = new PrismaService(db.url, 2);
    const events = new EventsService(new EventsRepository(prisma));
    const opId = randomUUID();
    const missed: number[] = [];
    for (let i = 0; i < 3; i++) missed.push((await events.publish(teamId, 'operation.step', { operationId: opId, message: `while down ${i}`, level: 'info' }, `operations/${opId}`)).seq);

    const second = await start();
    const c2 = await StreamClient.ready(second.url, token);
    clients.push(c2);
    const sub = await c2.subscribe('events', { kinds: ['container.state', 'operation.step'], since: last });
    expect(sub.since).toBe(last);
    expect(sub.latestSeq).toBeGreaterThanOrEqual(missed[2]);
    await waitFor(() => c2.of('event').length >= 3, { what: 'the missed events' });
    expect(c2.of('event').map((m) => m.seq)).toEqual(missed);
    expect(c2.of('event').map((m) => m.payload.message)).toEqual(['while down 0', 'while down 1', 'while down 2']);

    // And live again, continuing the same sequence.
    await container.stop({ t: 5 });
    await c2.waitFor((m) => m.type === 'event' && m.payload.action === 'die', 'container.state die');
    const seqs = c2.of('event').map((m) => m.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
    expect(seqs.slice(0, 3)).toEqual(missed);
    expect(await second.stop('SIGTERM')).toBe(0);
  });
});
