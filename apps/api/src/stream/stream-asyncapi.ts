/**
 * The /ws protocol as an AsyncAPI 3.0 document, built from the same constants as the code
 * (stream-protocol.ts). Served at /docs-asyncapi (JSON) and /docs-asyncapi.yaml; committed as
 * docs/stream.asyncapi.yaml by `npm run asyncapi`. The document describes the API server:
 * `receive` operations are client → server messages, `send` operations server → client.
 */
import { CLOSE_CODES, MAX_CLIENT_MESSAGE_BYTES, STREAM_ERROR_CODES, STREAM_PATH } from './stream-protocol';
import { DEFAULT_TAIL, MAX_TAIL, TOPIC_FORMS } from './topics';

type Schema = Record<string, unknown>;

const str = (description?: string, extra: Schema = {}): Schema => ({ type: 'string', ...(description ? { description } : {}), ...extra });
const int = (description?: string, extra: Schema = {}): Schema => ({ type: 'integer', ...(description ? { description } : {}), ...extra });
const bool = (description?: string): Schema => ({ type: 'boolean', ...(description ? { description } : {}) });
const ref = { oneOf: [{ type: 'string', maxLength: 128 }, { type: 'number' }], description: 'Echoed on the replies to this message' };
const echo = { oneOf: [{ type: 'string' }, { type: 'number' }], description: 'The `ref` of the client message this answers' };

function msg(type: string, properties: Schema, required: string[] = []): Schema {
  return { type: 'object', additionalProperties: false, required: ['type', ...required], properties: { type: { const: type }, ...properties } };
}

const logSource: Schema = {
  containerId: str('Full container id'),
  slot: int('Deployment logs: the replica slot (io.berth.slot)'),
  revision: int('Deployment logs: the replica revision (io.berth.revision)'),
};

const schemas: Record<string, Schema> = {
  auth: msg('auth', { ref, token: str('A bearer token (brt_…)') }, ['token']),
  subscribe: msg(
    'subscribe',
    {
      ref,
      topic: str(`One of: ${TOPIC_FORMS.join(', ')}`),
      since: {
        oneOf: [{ type: 'integer', minimum: 0 }, { type: 'number' }, { type: 'string', format: 'date-time' }],
        description:
          'Event topics: a sequence number; replay everything after it, then continue live (default: live only; operation topics replay from the operation start). Log topics: Unix seconds or an RFC 3339 date.',
      },
      kinds: { type: 'array', items: { type: 'string' }, description: '`events` only: kinds to receive; `prefix.*` matches a prefix' },
      deployment: str('`events` only: only events about this deployment'),
      tail: { oneOf: [{ type: 'integer', minimum: 0 }, { const: 'all' }], description: `Log topics: lines of history (default ${DEFAULT_TAIL}, at most ${MAX_TAIL}); like docker logs --tail, counted over both streams before the stream filter` },
      timestamps: bool('Log topics: include each line\'s engine timestamp (default false)'),
      stream: { enum: ['stdout', 'stderr', 'all'], description: 'Log topics: which stream (default all)' },
    },
    ['topic'],
  ),
  unsubscribe: msg('unsubscribe', { ref, topic: str() }, ['topic']),
  ping: msg('ping', { ref }),
  'exec.start': msg(
    'exec.start',
    {
      ref,
      session: str('The client\'s name for the session', { pattern: '^[A-Za-z0-9._:-]{1,64}$' }),
      container: str('Container id, short id or name'),
      cmd: { type: 'array', items: { type: 'string' }, minItems: 1, description: 'Default ["/bin/sh"]' },
      tty: bool('Allocate a TTY (default true)'),
      cols: int(undefined, { minimum: 1, maximum: 1000 }),
      rows: int(undefined, { minimum: 1, maximum: 1000 }),
      env: { type: 'array', items: { type: 'string', pattern: '^[^=\\s]+=' } },
      workdir: str(),
      user: str(),
    },
    ['session', 'container'],
  ),
  'exec.stdin': msg('exec.stdin', { ref, session: str(), data: str('UTF-8 text for stdin'), eof: bool('Close stdin after data') }, ['session']),
  'exec.resize': msg('exec.resize', { ref, session: str(), cols: int(undefined, { minimum: 1, maximum: 1000 }), rows: int(undefined, { minimum: 1, maximum: 1000 }) }, ['session', 'cols', 'rows']),
  'exec.close': msg('exec.close', { ref, session: str() }, ['session']),

  ready: msg(
    'ready',
    {
      tokenId: str(),
      teamId: str(),
      role: { enum: ['owner', 'admin', 'deployer', 'viewer'] },
      latestSeq: int('The newest event sequence number'),
      heartbeatMs: int('The server pings this often'),
      limits: {
        type: 'object',
        properties: { sendBufferBytes: int(), maxSubscriptions: int(), maxSocketsPerToken: int() },
        required: ['sendBufferBytes', 'maxSubscriptions', 'maxSocketsPerToken'],
      },
    },
    ['tokenId', 'teamId', 'role', 'latestSeq', 'heartbeatMs', 'limits'],
  ),
  subscribed: msg(
    'subscribed',
    {
      ref: echo,
      topic: str(),
      carries: { enum: ['events', 'logs'] },
      since: int('Event topics: the replay starts after this sequence'),
      latestSeq: int('Event topics: the newest sequence when the subscription started'),
      operation: { type: 'object', properties: { id: str(), kind: str(), status: str() }, description: 'Operation topics: the operation as it stands' },
      containers: { type: 'array', items: { type: 'object', properties: logSource, required: ['containerId'] }, description: 'Log topics: containers followed now' },
    },
    ['topic', 'carries'],
  ),
  unsubscribed: msg('unsubscribed', { ref: echo, topic: str(), reason: { enum: ['requested', 'removed'] } }, ['topic', 'reason']),
  event: msg(
    'event',
    {
      topic: str(),
      seq: int('Position in the append-only log: increases by one per event, never reused'),
      kind: str('e.g. operation.step, container.state (apps/api/src/events/event-map.ts)'),
      teamId: { type: ['string', 'null'] },
      subject: { type: ['string', 'null'], description: 'e.g. deployments/web, operations/<id>, containers/<id>' },
      payload: { type: 'object', description: 'Kind-specific (EventMap)' },
      createdAt: str(undefined, { format: 'date-time' }),
    },
    ['topic', 'seq', 'kind', 'teamId', 'subject', 'payload', 'createdAt'],
  ),
  log: msg(
    'log',
    {
      topic: str(),
      ...logSource,
      lines: {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['stream', 'line'],
          properties: { stream: { enum: ['stdout', 'stderr'] }, line: str(), timestamp: str('RFC 3339 with nanoseconds (with timestamps: true)') },
        },
      },
    },
    ['topic', 'containerId', 'lines'],
  ),
  dropped: {
    oneOf: [
      msg('dropped', { topic: str(), lines: int('Log lines dropped since the last report; the subscription goes on') }, ['topic', 'lines']),
      msg('dropped', { topic: str(), since: int('Resubscribe with this since: every matching event up to it was delivered'), resubscribe: { const: true } }, ['topic', 'since', 'resubscribe']),
    ],
  },
  error: msg(
    'error',
    {
      ref: echo,
      code: { enum: [...STREAM_ERROR_CODES] },
      message: str(),
      topic: str(),
      session: str(),
      oldestSeq: int('SINCE_EXPIRED: the oldest sequence still retained'),
      latestSeq: int('SINCE_AHEAD: the newest sequence'),
    },
    ['code', 'message'],
  ),
  pong: msg('pong', { ref: echo, time: str(undefined, { format: 'date-time' }) }, ['time']),
  'exec.started': msg('exec.started', { ref: echo, session: str(), execId: str(), containerId: str(), tty: bool() }, ['session', 'execId', 'containerId', 'tty']),
  'exec.output': msg('exec.output', { session: str(), stream: { enum: ['stdout', 'stderr'], description: 'Without a TTY only' }, data: str('UTF-8 text') }, ['session', 'data']),
  'exec.exit': msg('exec.exit', { session: str(), exitCode: { type: ['integer', 'null'] } }, ['session', 'exitCode']),
};

const summaries: Record<string, string> = {
  auth: 'Authenticate (when the upgrade request carried no token); must be the first message',
  subscribe: 'Follow a topic (subscribing again to a followed topic replaces that subscription)',
  unsubscribe: 'Stop following a topic',
  ping: 'Application-level ping; answered by pong',
  'exec.start': 'Start an interactive process in a container (owner or admin)',
  'exec.stdin': 'Write to the process\'s stdin',
  'exec.resize': 'Resize the session\'s TTY',
  'exec.close': 'Close stdin and detach',
  ready: 'Authentication succeeded',
  subscribed: 'A subscription started (replayed events, history lines follow)',
  unsubscribed: 'A subscription ended (on request, or because its container was removed)',
  event: 'One event of the log',
  log: 'Log lines of one container',
  dropped: 'Backpressure: log lines dropped, or an event subscription ended with where to resume',
  error: 'A message or subscription was refused; the socket stays open',
  pong: 'Answer to ping',
  'exec.started': 'The process runs',
  'exec.output': 'Process output',
  'exec.exit': 'The process ended',
};

const CLIENT = ['auth', 'subscribe', 'unsubscribe', 'ping', 'exec.start', 'exec.stdin', 'exec.resize', 'exec.close'];
const SERVER = ['ready', 'subscribed', 'unsubscribed', 'event', 'log', 'dropped', 'error', 'pong', 'exec.started', 'exec.output', 'exec.exit'];

const key = (type: string) => type.replace('.', '_');

const CLOSE_DESCRIPTIONS: Record<number, string> = {
  [CLOSE_CODES.GOING_AWAY]: 'The server is shutting down: reconnect and resume event topics with `since`',
  [CLOSE_CODES.MESSAGE_TOO_BIG]: `A client message was larger than ${MAX_CLIENT_MESSAGE_BYTES} bytes`,
  [CLOSE_CODES.UNAUTHENTICATED]: 'Missing, unknown, revoked or expired token, or no `auth` message in time (BERTH_WS_AUTH_TIMEOUT_MS)',
  [CLOSE_CODES.SEND_BUFFER_OVERFLOW]: 'The client stopped reading: control messages passed twice the send buffer',
  [CLOSE_CODES.TOO_MANY_SOCKETS]: 'The token holds BERTH_WS_MAX_SOCKETS_PER_TOKEN sockets already',
};

export function buildAsyncApiDocument(version: string): Record<string, unknown> {
  const messages = Object.fromEntries(
    [...CLIENT, ...SERVER].map((type) => [key(type), { name: type, title: type, summary: summaries[type], contentType: 'application/json', payload: { $ref: `#/components/schemas/${key(type)}` } }]),
  );
  const channelMessages = Object.fromEntries([...CLIENT, ...SERVER].map((type) => [key(type), { $ref: `#/components/messages/${key(type)}` }]));
  const operations = Object.fromEntries([
    ...CLIENT.map((type) => [
      `receive_${key(type)}`,
      { action: 'receive', channel: { $ref: '#/channels/stream' }, summary: summaries[type], messages: [{ $ref: `#/channels/stream/messages/${key(type)}` }] },
    ]),
    ...SERVER.map((type) => [
      `send_${key(type)}`,
      { action: 'send', channel: { $ref: '#/channels/stream' }, summary: summaries[type], messages: [{ $ref: `#/channels/stream/messages/${key(type)}` }] },
    ]),
  ]);
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Berth live stream',
      version,
      description: [
        'One WebSocket endpoint for the event log, deployment and operation progress, container and deployment logs, and interactive exec.',
        'JSON text frames, one message each, every one with a `type`. Any client message may carry `ref`; replies echo it.',
        'Authenticate with `Authorization: Bearer <token>` on the upgrade request, a `token` query parameter, or a first `auth` message.',
        'Guide: docs/stream.md.',
      ].join('\n\n'),
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:3000',
        protocol: 'ws',
        pathname: STREAM_PATH,
        description: 'The API\'s own HTTP server (HOST, PORT)',
        security: [{ $ref: '#/components/securitySchemes/bearer' }, { $ref: '#/components/securitySchemes/queryToken' }],
      },
    },
    channels: {
      stream: {
        address: STREAM_PATH,
        title: 'Berth live stream',
        description: [
          `Topics: ${TOPIC_FORMS.map((t) => `\`${t}\``).join(', ')}. All are team-scoped; an owner token sees every team.`,
          'Close codes:',
          ...Object.entries(CLOSE_DESCRIPTIONS).map(([code, text]) => `- ${code}: ${text}`),
        ].join('\n'),
        messages: channelMessages,
        bindings: {
          ws: {
            method: 'GET',
            query: { type: 'object', properties: { token: { type: 'string', description: 'A bearer token, for clients that cannot set headers' } } },
            headers: { type: 'object', properties: { Authorization: { type: 'string', description: 'Bearer <token>' } } },
          },
        },
        'x-close-codes': Object.fromEntries(Object.entries(CLOSE_DESCRIPTIONS)),
      },
    },
    operations,
    components: {
      messages,
      schemas: Object.fromEntries(Object.entries(schemas).map(([type, schema]) => [key(type), schema])),
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token (brt_…) on the upgrade request' },
        queryToken: { type: 'httpApiKey', name: 'token', in: 'query', description: 'The same token as a query parameter' },
      },
    },
  };
}

export const ASYNCAPI_CLIENT_TYPES = CLIENT;
export const ASYNCAPI_SERVER_TYPES = SERVER;
