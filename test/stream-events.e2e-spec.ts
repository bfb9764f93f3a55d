import { randomUUID } from 'node:crypto';
import type { Principal } from '../apps/api/src/auth/principal';
import { EventRetentionService } from '../apps/api/src/events/event-retention.service';
import { EventsService } from '../apps/api/src/events/events.service';
import { OperationsService } from '../apps/api/src/operations/operations.service';
import { auth, startTestApp, TestApp } from './helpers/app';
import { query } from './helpers/database';
import { metric, StreamClient } from './helpers/stream';
import { createTeamToken, defaultTeamId, TeamToken } from './helpers/tokens';
import { waitFor } from './helpers/wait';

const SEND_BUFFER = 64 * 1024;

describe('/ws: events, resume, scoping, limits', () => {
  let t: TestApp;
  let events: EventsService;
  let operations: OperationsService;
  let teamA: string;
  let teamB: TeamToken;
  let owner: Principal;
  const clients: StreamClient[] = [];
  const open = async (token: string, via?: 'header' | 'query' | 'message') => {
    const c = await StreamClient.ready(t.url, token, via);
    clients.push(c);
    return c;
  };
  const step = (teamId: string, operationId: string, message: string, data?: unknown) =>
    events.publish(teamId, 'operation.step', { operationId, message, level: 'info', ...(data !== undefined ? { data } : {}) }, `operations/${operationId}`);

  beforeAll(async () => {
    t = await startTestApp({ env: { BERTH_WS_SEND_BUFFER_BYTES: String(SEND_BUFFER), BERTH_WS_MAX_SOCKETS_PER_TOKEN: '6', BERTH_WS_AUTH_TIMEOUT_MS: '500' } });
    events = t.app.get(EventsService);
    operations = t.app.get(OperationsService);
    teamA = await defaultTeamId(t.databaseUrl);
    teamB = await createTeamToken(t.databaseUrl, 'team-b', 'viewer');
    owner = { tokenId: randomUUID(), teamId: teamA, role: 'owner', deployments: [] };
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  afterAll(() => t?.close());

  describe('authentication and limits', () => {
    it('closes a socket that sends no token with 4401 once the auth timeout passes', async () => {
      const c = await StreamClient.open(t.url);
      clients.push(c);
      expect(await c.closedBy()).toEqual({ code: 4401, reason: 'Authentication timeout: send a token' });
    });

    it('closes a socket with an unknown token with 4401, saying why', async () => {
      const c = await StreamClient.open(t.url, { token: 'brt_notarealtoken000000000000000000000000000' });
      clients.push(c);
      expect(await c.closedBy()).toEqual({ code: 4401, reason: 'Invalid bearer token' });
      expect(c.of('error')).toEqual([expect.objectContaining({ code: 'UNAUTHENTICATED', message: 'Invalid bearer token' })]);
    });

    it('refuses anything but auth as the first message of a socket without a token (4401)', async () => {
      const c = await StreamClient.open(t.url);
      clients.push(c);
      c.send({ type: 'subscribe', topic: 'events' });
      expect((await c.closedBy()).code).toBe(4401);
      expect(c.of('error')[0]).toMatchObject({ code: 'UNAUTHENTICATED' });
    });

    it('accepts the token in the Authorization header, the token query parameter, or a first auth message', async () => {
      for (const via of ['header', 'query', 'message'] as const) {
        const c = await open(teamB.token, via);
        expect(c.of('ready')[0]).toMatchObject({ tokenId: teamB.tokenId, teamId: teamB.teamId, role: 'viewer', heartbeatMs: 30_000, limits: { sendBufferBytes: SEND_BUFFER } });
        expect(await c.request({ type: 'ping' }, 'pong')).toMatchObject({ type: 'pong', time: expect.any(String) });
      }
    });

    it('holds a token to BERTH_WS_MAX_SOCKETS_PER_TOKEN sockets; the next one is closed with 4429', async () => {
      const limited = await createTeamToken(t.databaseUrl, 'team-b', 'viewer');
      for (let i = 0; i < 6; i++) await open(limited.token);
      const extra = await StreamClient.open(t.url, { token: limited.token });
      clients.push(extra);
      expect(await extra.closedBy()).toEqual({ code: 4429, reason: 'Too many sockets for this token (BERTH_WS_MAX_SOCKETS_PER_TOKEN=6)' });
      // Closing one frees a place.
      await clients[0].close();
      await waitFor(async () => metric((await t.http.get('/metrics').set(auth(t.token))).text, 'berth_websocket_clients') === 5, { what: 'the server to forget the closed sockets' });
      await open(limited.token);
    });

    it('answers bad messages with typed errors and keeps the socket open', async () => {
      const c = await open(t.token);
      c.ws.send('not json');
      await c.waitFor((m) => m.type === 'error' && m.code === 'BAD_MESSAGE', 'BAD_MESSAGE');
      expect(await c.request({ type: 'shout' }, 'pong')).toMatchObject({ code: 'UNKNOWN_TYPE' });
      expect(await c.request({ type: 'subscribe', topic: 'weather' }, 'subscribed')).toMatchObject({ code: 'UNKNOWN_TOPIC', topic: 'weather' });
      expect(await c.request({ type: 'subscribe', topic: 'events', since: -1 }, 'subscribed')).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('since') });
      expect(await c.request({ type: 'subscribe', topic: 'events', tail: 5 }, 'subscribed')).toMatchObject({ code: 'VALIDATION_FAILED', message: 'tail applies to log topics only' });
      expect(await c.request({ type: 'subscribe', topic: 'events', colour: 'red' }, 'subscribed')).toMatchObject({ code: 'VALIDATION_FAILED', message: 'colour is not a field of subscribe' });
      expect(await c.request({ type: 'unsubscribe', topic: 'events' }, 'unsubscribed')).toMatchObject({ code: 'NOT_SUBSCRIBED' });
      expect(await c.request({ type: 'auth', token: t.token }, 'ready')).toMatchObject({ code: 'ALREADY_AUTHENTICATED' });
      expect(await c.request({ type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
      expect(c.closed).toBeUndefined();
    });
  });

  describe('event topics', () => {
    it('follows a change on events, deployments/<name> and operations/<id>: started, steps, succeeded, in order with increasing sequence numbers', async () => {
      const c = await open(t.token);
      const all = await c.subscribe('events', { kinds: ['operation.*'] });
      expect(all).toMatchObject({ topic: 'events', carries: 'events', latestSeq: expect.any(Number) });
      await c.subscribe('deployments/web');

      const op = await operations.start(owner, 'rollout', { image: 'web:2' }, { subject: 'deployments/web' });
      // A pipeline that subscribes after starting the operation still sees it from its start.
      const sub = await c.subscribe(`operations/${op.id}`);
      expect(sub).toMatchObject({ operation: { id: op.id, kind: 'rollout', status: 'running' }, since: expect.any(Number) });
      await op.step('pulling web:2');
      await op.step('replica 1 replaced', { slot: 1 });
      await op.succeed({ revision: 2 });

      const expected = ['operation.started', 'operation.step', 'operation.step', 'operation.succeeded'];
      for (const topic of ['events', 'deployments/web', `operations/${op.id}`]) {
        const received = await waitFor(() => {
          const mine = c.of('event', topic).filter((m) => m.payload.operationId === op.id);
          return mine.length === 4 ? mine : undefined;
        }, { what: `4 events on ${topic}` });
        expect(received.map((m: any) => m.kind)).toEqual(expected);
        const seqs = received.map((m: any) => m.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(new Set(seqs).size).toBe(4);
        expect(received[1]).toMatchObject({ topic, subject: 'deployments/web', teamId: teamA, payload: { message: 'pulling web:2', level: 'info' }, createdAt: expect.any(String) });
        expect(received[3].payload).toEqual({ operationId: op.id, kind: 'rollout', result: { revision: 2 } });
      }
      // The operation topic matched on payload.operationId: its events carry the deployment's subject.
      expect(c.of('event', `operations/${op.id}`).every((m) => m.subject === 'deployments/web')).toBe(true);
    });

    it('filters events by kind and deployment', async () => {
      const c = await open(t.token);
      await c.subscribe('events', { kinds: ['operation.succeeded'], deployment: 'api' });
      const other = await operations.start(owner, 'rollout', {}, { subject: 'deployments/other' });
      await other.succeed();
      const api = await operations.start(owner, 'rollout', {}, { subject: 'deployments/api' });
      await api.step('one');
      await api.succeed();
      const got = await c.waitFor((m) => m.type === 'event' && m.payload.operationId === api.id, 'api succeeded');
      expect(got.kind).toBe('operation.succeeded');
      expect(c.of('event').filter((m) => m.payload.operationId === other.id || m.kind !== 'operation.succeeded')).toEqual([]);
    });

    it('resumes with since: exactly the missed events, none twice, then live — also while events keep coming', async () => {
      const opId = randomUUID();
      const first = await open(t.token);
      await first.subscribe('events', { kinds: ['operation.step'] });
      await step(teamA, opId, 'seen-1');
      await step(teamA, opId, 'seen-2');
      const seen = await waitFor(() => (first.of('event').filter((m) => m.payload.operationId === opId).length === 2 ? first.of('event') : undefined), { what: 'two live events' });
      const last = seen[seen.length - 1].seq;
      await first.close();

      // Missed while disconnected.
      const missed = [];
      for (let i = 1; i <= 5; i++) missed.push((await step(teamA, opId, `missed-${i}`)).seq);

      // Resubscribe while four writers keep publishing, so the replay→live seam is crossed under load.
      let writing = true;
      const writers = Array.from({ length: 4 }, async (_, w) => {
        const seqs: number[] = [];
        for (let i = 0; writing && i < 200; i++) seqs.push((await step(teamA, opId, `during-${w}-${i}`)).seq);
        return seqs;
      });
      const second = await open(t.token);
      const sub = await second.subscribe('events', { kinds: ['operation.step'], since: last });
      expect(sub.since).toBe(last);
      await waitFor(() => second.of('event').filter((m) => m.payload.message.startsWith('during-')).length >= 40, { what: 'live events after the replay' });
      writing = false;
      const during = (await Promise.all(writers)).flat();
      const after = (await step(teamA, opId, 'after')).seq;

      const expected = [...missed, ...during, after].sort((a, b) => a - b);
      const received = await waitFor(() => {
        const seqs = second.of('event').filter((m) => m.payload.operationId === opId).map((m) => m.seq);
        return seqs.length >= expected.length ? seqs : undefined;
      }, { what: `${expected.length} events after resuming` });
      expect(received).toEqual(expected); // every missed and later event, in order, none twice
      expect(received[0]).toBeGreaterThan(last);
      expect(second.of('event').filter((m) => m.payload.operationId === opId).slice(0, 5).map((m) => m.payload.message)).toEqual(['missed-1', 'missed-2', 'missed-3', 'missed-4', 'missed-5']);
    });

    it('refuses a since ahead of the log with SINCE_AHEAD and the newest sequence', async () => {
      const c = await open(t.token);
      const { latest } = await events.bounds();
      const reply = await c.request({ type: 'subscribe', topic: 'events', since: latest + 1000 }, 'subscribed');
      expect(reply).toMatchObject({ type: 'error', code: 'SINCE_AHEAD', latestSeq: latest, topic: 'events' });
    });
  });

  describe('team scoping', () => {
    it("shows a token its own team's events only; an owner sees every team's", async () => {
      const b = await open(teamB.token);
      const o = await open(t.token);
      await b.subscribe('events', { kinds: ['operation.step'] });
      await o.subscribe('events', { kinds: ['operation.step'] });
      const opA = randomUUID();
      const opB = randomUUID();
      await step(teamA, opA, 'secret of a');
      await step(teamB.teamId, opB, 'news for b');
      await b.waitFor((m) => m.type === 'event' && m.payload.operationId === opB, "team b's event");
      await o.waitFor((m) => m.type === 'event' && m.payload.operationId === opB, "team b's event (owner)");
      await o.waitFor((m) => m.type === 'event' && m.payload.operationId === opA, "team a's event (owner)");
      expect(b.of('event').filter((m) => m.teamId !== teamB.teamId)).toEqual([]);
    });

    it("answers another team's operation or container with an error, not data", async () => {
      const b = await open(teamB.token);
      const op = await operations.start(owner, 'pull', { image: 'x' });
      await op.step('secret step');
      const reply = await b.request({ type: 'subscribe', topic: `operations/${op.id}` }, 'subscribed');
      expect(reply).toMatchObject({ type: 'error', code: 'NOT_FOUND', topic: `operations/${op.id}` });
      const pull = await b.request({ type: 'subscribe', topic: `images/pull/${op.id}` }, 'subscribed');
      expect(pull).toMatchObject({ type: 'error', code: 'NOT_FOUND' });
      expect(b.of('event')).toEqual([]);
      // The owner may follow it, under its images/pull/<id> name too.
      const o = await open(t.token);
      expect(await o.subscribe(`images/pull/${op.id}`)).toMatchObject({ operation: { kind: 'pull' } });
      await o.waitFor((m) => m.type === 'event' && m.payload.message === 'secret step', 'the step (owner)');
      expect(await o.request({ type: 'subscribe', topic: `images/build/${op.id}` }, 'subscribed')).toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  describe('backpressure', () => {
    it('tells a stalled events subscriber to resubscribe from its last sequence; its buffer stays bounded and others get everything', async () => {
      const opId = randomUUID();
      const stalled = await open(t.token);
      const healthy = await open(t.token);
      await stalled.subscribe('events', { kinds: ['operation.step'] });
      await healthy.subscribe('events', { kinds: ['operation.step'] });
      let healthyCount = 0;
      healthy.onMessage = (m) => {
        if (m.type !== 'event') return true;
        if (m.payload.operationId === opId) healthyCount++;
        return false;
      };
      stalled.stall();

      let maxBuffered = 0;
      const sample = async () => {
        const text = (await t.http.get('/metrics').set(auth(t.token))).text;
        maxBuffered = Math.max(maxBuffered, metric(text, 'berth_websocket_send_buffer_bytes', 'stat="max"') ?? 0);
      };
      const big = 'x'.repeat(64 * 1024);
      const published: number[] = [];
      for (let i = 0; i < 400; i++) {
        published.push((await step(teamA, opId, `bulk-${i}`, big)).seq);
        if (i % 20 === 0) await sample();
      }
      await sample();
      // 26 MB went out; the server never held more than the buffer plus control messages for the stalled socket.
      expect(maxBuffered).toBeGreaterThan(0);
      expect(maxBuffered).toBeLessThanOrEqual(2 * SEND_BUFFER);
      await waitFor(() => healthyCount === 400, { what: 'the healthy subscriber to get all 400 events', timeoutMs: 60_000 });
      expect(healthy.of('dropped')).toEqual([]);

      stalled.unstall();
      const dropped = await stalled.waitFor((m) => m.type === 'dropped', 'dropped', 60_000);
      expect(dropped).toEqual({ type: 'dropped', topic: 'events', since: expect.any(Number), resubscribe: true });
      const before = stalled.of('event').filter((m) => m.payload.operationId === opId).map((m) => m.seq);
      expect(before.length).toBeLessThan(400);
      expect(before).toEqual(published.slice(0, before.length)); // in order, nothing skipped
      // Every matching event up to `since` was delivered, and the first one not delivered comes after it.
      expect(dropped.since).toBeGreaterThanOrEqual(before.length ? before[before.length - 1] : 0);
      expect(dropped.since).toBeLessThan(published[before.length]);

      // Resubscribing from there gets the rest: nothing lost, nothing twice.
      stalled.messages.length = 0;
      await stalled.subscribe('events', { kinds: ['operation.step'], since: dropped.since });
      const rest = await waitFor(() => {
        const seqs = stalled.of('event').filter((m) => m.payload.operationId === opId).map((m) => m.seq);
        return seqs.length >= 400 - before.length ? seqs : undefined;
      }, { what: 'the rest after resubscribing', timeoutMs: 60_000 });
      expect([...before, ...rest]).toEqual(published);
    });
  });

  describe('retention', () => {
    it('refuses a since older than the retained log with SINCE_EXPIRED and the oldest available sequence', async () => {
      const opId = randomUUID();
      const old = [];
      for (let i = 0; i < 3; i++) old.push((await step(teamA, opId, `old-${i}`)).seq);
      const kept = (await step(teamA, opId, 'kept')).seq;
      await query(t.databaseUrl, "UPDATE events SET created_at = now() - interval '1000 hours' WHERE seq <= $1", [old[2]]);
      expect(await t.app.get(EventRetentionService).prune()).toBeGreaterThanOrEqual(3);
      const { oldest } = await events.bounds();
      expect(oldest).toBe(kept);

      const c = await open(t.token);
      const refused = await c.request({ type: 'subscribe', topic: 'events', since: old[0] }, 'subscribed');
      expect(refused).toMatchObject({ type: 'error', code: 'SINCE_EXPIRED', oldestSeq: kept, topic: 'events' });
      expect(refused.message).toContain(`the oldest available is ${kept}`);

      // From the oldest available on, it resumes.
      await c.subscribe('events', { since: kept - 1, kinds: ['operation.step'] });
      const first = await c.waitFor((m) => m.type === 'event', 'the oldest retained event');
      expect(first).toMatchObject({ seq: kept, payload: { message: 'kept' } });
    });
  });
});
