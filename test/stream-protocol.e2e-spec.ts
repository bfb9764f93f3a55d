import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CLIENT_MESSAGE_TYPES, SERVER_MESSAGE_TYPES, STREAM_ERROR_CODES } from '../apps/api/src/stream/stream-protocol';
import { auth, startTestApp, TestApp } from './helpers/app';
import { metric, StreamClient } from './helpers/stream';
import { waitFor } from './helpers/wait';

describe('/ws: protocol document, heartbeats, subscription limit', () => {
  let t: TestApp;
  const clients: StreamClient[] = [];
  const open = async () => {
    const c = await StreamClient.ready(t.url, t.token);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startTestApp({ env: { BERTH_WS_HEARTBEAT_MS: '1000', BERTH_WS_MAX_SUBSCRIPTIONS: '3' } });
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  afterAll(() => t?.close());

  it('serves an AsyncAPI 3 document of every message, without a token, matching docs/stream.asyncapi.yaml', async () => {
    const res = await t.http.get('/docs-asyncapi');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.channels.stream.address).toBe('/ws');
    const names = Object.values<any>(doc.components.messages).map((m) => m.name);
    expect(names.sort()).toEqual([...CLIENT_MESSAGE_TYPES, ...SERVER_MESSAGE_TYPES].sort());
    // Client messages are what the server receives; server messages what it sends.
    for (const [id, op] of Object.entries<any>(doc.operations)) {
      const message = doc.components.messages[op.messages[0].$ref.split('/').pop()];
      expect([id, op.action]).toEqual([id, (CLIENT_MESSAGE_TYPES as readonly string[]).includes(message.name) ? 'receive' : 'send']);
    }
    expect(doc.components.schemas.error.properties.code.enum).toEqual([...STREAM_ERROR_CODES]);
    expect(Object.keys(doc.channels.stream['x-close-codes']).sort()).toEqual(['1001', '1009', '4401', '4413', '4429']);

    const yaml = await t.http.get('/docs-asyncapi.yaml');
    expect(yaml.headers['content-type']).toContain('yaml');
    expect(parse(yaml.text)).toEqual(doc);
    const committed = parse(readFileSync(join(__dirname, '..', 'docs', 'stream.asyncapi.yaml'), 'utf8'));
    expect(committed).toEqual(doc); // run `npm run asyncapi` after changing the protocol
  });

  it('pings every socket and drops one that stops answering', async () => {
    const gone = await open();
    const alive = await open();
    let pings = 0;
    alive.ws.on('ping', () => pings++);
    await waitFor(async () => metric((await t.http.get('/metrics').set(auth(t.token))).text, 'berth_websocket_clients') === 2, { what: 'two sockets' });
    gone.stall(); // a peer that no longer reads answers no ping
    await waitFor(async () => metric((await t.http.get('/metrics').set(auth(t.token))).text, 'berth_websocket_clients') === 1, { what: 'the dead socket to be dropped', timeoutMs: 20_000 });
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(alive.closed).toBeUndefined();
    expect(await alive.request({ type: 'ping' }, 'pong')).toMatchObject({ type: 'pong' });
  });

  it('holds a socket to BERTH_WS_MAX_SUBSCRIPTIONS; resubscribing to a followed topic replaces it', async () => {
    const c = await open();
    await c.subscribe('events');
    await c.subscribe('deployments/a');
    await c.subscribe('deployments/b');
    const refused = await c.request({ type: 'subscribe', topic: 'deployments/c' }, 'subscribed');
    expect(refused).toMatchObject({ type: 'error', code: 'TOO_MANY_SUBSCRIPTIONS', topic: 'deployments/c' });
    expect(await c.subscribe('events', { kinds: ['operation.*'] })).toMatchObject({ topic: 'events' });
    await c.request({ type: 'unsubscribe', topic: 'deployments/a' }, 'unsubscribed');
    expect(await c.subscribe('deployments/c')).toMatchObject({ topic: 'deployments/c' });
    expect(metric((await t.http.get('/metrics').set(auth(t.token))).text, 'berth_websocket_subscriptions', 'carries="events"')).toBe(3);
  });
});
