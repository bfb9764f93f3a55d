/**
 * The /ws protocol, typed: every message a client may send and every message the server sends.
 * JSON text frames, one message per frame, each with a `type`. docs/stream.md explains it and
 * docs/stream.asyncapi.yaml (served at /docs-asyncapi) describes it as an AsyncAPI 3 document.
 */
import type { EventKind, EventMap } from '../events/event-map';

export const STREAM_PATH = '/ws';

/** Largest client message the server reads (bigger ones close the socket with 1009). */
export const MAX_CLIENT_MESSAGE_BYTES = 1024 * 1024;

/** Close codes the server uses, with the reason sent alongside. */
export const CLOSE_CODES = {
  /** The server is shutting down (or restarting): reconnect and resume events with `since`. */
  GOING_AWAY: 1001,
  /** A client message was larger than MAX_CLIENT_MESSAGE_BYTES. */
  MESSAGE_TOO_BIG: 1009,
  /** Missing, unknown, revoked or expired token; or no `auth` message within BERTH_WS_AUTH_TIMEOUT_MS. */
  UNAUTHENTICATED: 4401,
  /** Control messages piled up past twice the send buffer: the client stopped reading altogether. */
  SEND_BUFFER_OVERFLOW: 4413,
  /** The token already holds BERTH_WS_MAX_SOCKETS_PER_TOKEN sockets. */
  TOO_MANY_SOCKETS: 4429,
} as const;

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/** Codes of `error` messages. An error never closes the socket; it refers to the message (`ref`) or topic it is about. */
export const STREAM_ERROR_CODES = [
  'BAD_MESSAGE', // not JSON, not an object, or no string `type`
  'UNKNOWN_TYPE', // `type` is not a client message type
  'VALIDATION_FAILED', // a field is missing or wrong (the message says which)
  'UNAUTHENTICATED', // an `auth` message with a bad token (the socket is then closed with 4401)
  'ALREADY_AUTHENTICATED', // a second `auth`
  'UNKNOWN_TOPIC', // the topic is not one of the documented forms
  'NOT_FOUND', // the container, operation… does not exist or is not the caller's team's
  'FORBIDDEN', // the token's role or deployment list does not allow it (exec needs owner or admin)
  'SINCE_EXPIRED', // `since` is older than the retained log: see `oldestSeq`
  'SINCE_AHEAD', // `since` is newer than the log's newest event: see `latestSeq`
  'TOO_MANY_SUBSCRIPTIONS', // BERTH_WS_MAX_SUBSCRIPTIONS reached (subscriptions + exec sessions)
  'NOT_SUBSCRIBED', // unsubscribe from a topic this socket does not follow
  'SESSION_EXISTS', // exec.start with a session id already open on this socket
  'NO_SUCH_SESSION', // exec.* for a session that is not open
  'CONFLICT', // the container is not running (exec)
  'ENGINE_UNAVAILABLE',
  'ENGINE_ERROR',
  'DATABASE_UNAVAILABLE',
  'INTERNAL',
] as const;

export type StreamErrorCode = (typeof STREAM_ERROR_CODES)[number];

/** Correlation: any client message may carry `ref`; the replies to it (subscribed, error, pong, exec.started…) echo it. */
export type Ref = string | number;

// ---------------------------------------------------------------- client → server

export interface AuthMessage {
  type: 'auth';
  ref?: Ref;
  /** A bearer token (brt_…), for clients that cannot set the Authorization header or a query parameter. */
  token: string;
}

/**
 * Topics: `events`, `deployments/<name>`, `operations/<id>`, `images/pull/<operationId>`,
 * `images/build/<operationId>`, `images/push/<operationId>` (event topics) and
 * `containers/<id|name>/logs`, `deployments/<name>/logs` (log topics). Subscribing again to a
 * topic the socket already follows replaces that subscription (how a client resubscribes after
 * `dropped`).
 */
export interface SubscribeMessage {
  type: 'subscribe';
  ref?: Ref;
  topic: string;
  /**
   * Event topics: resume after this sequence number (replay from Postgres, then live). Default:
   * live only, except operation topics, which replay from the operation's start.
   * Log topics: lines since this time (Unix seconds, or an RFC 3339 date).
   */
  since?: number | string;
  /** `events` only: kinds to receive; `operation.*` matches a prefix. */
  kinds?: string[];
  /** `events` only: only events about this deployment. */
  deployment?: string;
  /**
   * Log topics: lines of history before following (default 100, at most 10000; `all` = the last
   * 10000). As with `docker logs --tail`, the last lines of the log (both streams) are taken, then
   * `stream` filters them.
   */
  tail?: number | 'all';
  /** Log topics: include the engine's RFC 3339 nanosecond timestamp of each line (default false). */
  timestamps?: boolean;
  /** Log topics: `stdout`, `stderr` or `all` (default). */
  stream?: 'stdout' | 'stderr' | 'all';
}

export interface UnsubscribeMessage {
  type: 'unsubscribe';
  ref?: Ref;
  topic: string;
}

export interface PingMessage {
  type: 'ping';
  ref?: Ref;
}

/** Opens an interactive process in a running container (owner or admin tokens). */
export interface ExecStartMessage {
  type: 'exec.start';
  ref?: Ref;
  /** The client's name for this session (1–64 characters), used by every exec.* message after. */
  session: string;
  /** Container id, short id or name. */
  container: string;
  /** Default ["/bin/sh"]. */
  cmd?: string[];
  /** Allocate a TTY (default true): raw terminal output, resize, no stdout/stderr split. */
  tty?: boolean;
  cols?: number;
  rows?: number;
  /** KEY=value entries. */
  env?: string[];
  workdir?: string;
  user?: string;
}

export interface ExecStdinMessage {
  type: 'exec.stdin';
  ref?: Ref;
  session: string;
  /** Text to write to the process's stdin (UTF-8). */
  data?: string;
  /** Close stdin after `data` (the process reads end-of-file). */
  eof?: boolean;
}

export interface ExecResizeMessage {
  type: 'exec.resize';
  ref?: Ref;
  session: string;
  cols: number;
  rows: number;
}

/**
 * Ends the session: end of input (Ctrl-D on a TTY, so a shell at its prompt exits), then detach
 * after two seconds. The engine has no call to kill an exec'd process: one that ignores its input
 * ending keeps running in the container, and `exec.exit` then reports exitCode null.
 */
export interface ExecCloseMessage {
  type: 'exec.close';
  ref?: Ref;
  session: string;
}

export type ClientMessage =
  | AuthMessage
  | SubscribeMessage
  | UnsubscribeMessage
  | PingMessage
  | ExecStartMessage
  | ExecStdinMessage
  | ExecResizeMessage
  | ExecCloseMessage;

export type ClientMessageType = ClientMessage['type'];

// ---------------------------------------------------------------- server → client

/** Sent once, right after authentication. */
export interface ReadyMessage {
  type: 'ready';
  tokenId: string;
  teamId: string;
  role: string;
  /** The newest event sequence number right now. */
  latestSeq: number;
  heartbeatMs: number;
  limits: { sendBufferBytes: number; maxSubscriptions: number; maxSocketsPerToken: number };
}

export interface SubscribedMessage {
  type: 'subscribed';
  ref?: Ref;
  topic: string;
  /** What the topic carries: `event` messages, or `log` messages. */
  carries: 'events' | 'logs';
  /** Event topics: the replay starts after this sequence number (absent for live only). */
  since?: number;
  /** Event topics: the newest sequence number when the subscription started (replayed events are ≤ this). */
  latestSeq?: number;
  /** Operation topics: the operation as it stands now (a finished one will send nothing live). */
  operation?: { id: string; kind: string; status: string };
  /** Log topics: the containers followed now (deployment logs add replicas as they start). */
  containers?: LogSource[];
}

export interface UnsubscribedMessage {
  type: 'unsubscribed';
  ref?: Ref;
  topic: string;
  /** `requested`: the client unsubscribed; `removed`: the container is gone. */
  reason: 'requested' | 'removed';
}

/** One event of the append-only log. `seq` increases by one per event across the whole log. */
export interface EventMessage<K extends EventKind = EventKind> {
  type: 'event';
  topic: string;
  seq: number;
  kind: K;
  teamId: string | null;
  subject: string | null;
  payload: EventMap[K];
  createdAt: string;
}

export interface LogSource {
  containerId: string;
  /** Deployment logs: the replica's slot and revision (io.berth.slot / io.berth.revision). */
  slot?: number;
  revision?: number;
}

export interface LogLine {
  stream: 'stdout' | 'stderr';
  line: string;
  /** With `timestamps: true`. */
  timestamp?: string;
}

/** Lines from one container, in order. Every line of the message comes from `containerId` (and `slot`). */
export interface LogMessage extends LogSource {
  type: 'log';
  topic: string;
  lines: LogLine[];
}

/**
 * Backpressure. Log topics: `lines` were dropped because the socket's send buffer was full; the
 * subscription goes on. Event topics: the subscription has ended; nothing is lost — subscribe
 * again with `since` (every matching event up to `since` has been delivered).
 */
export type DroppedMessage =
  | { type: 'dropped'; topic: string; lines: number }
  | { type: 'dropped'; topic: string; since: number; resubscribe: true };

export interface ErrorMessage {
  type: 'error';
  ref?: Ref;
  code: StreamErrorCode;
  message: string;
  topic?: string;
  session?: string;
  /** SINCE_EXPIRED: the oldest sequence still in the log (resume with since = oldestSeq - 1). */
  oldestSeq?: number;
  /** SINCE_AHEAD: the newest sequence in the log. */
  latestSeq?: number;
}

export interface PongMessage {
  type: 'pong';
  ref?: Ref;
  time: string;
}

export interface ExecStartedMessage {
  type: 'exec.started';
  ref?: Ref;
  session: string;
  execId: string;
  containerId: string;
  tty: boolean;
}

export interface ExecOutputMessage {
  type: 'exec.output';
  session: string;
  /** Without a TTY, which stream the bytes came from; with one, absent (a terminal has one stream). */
  stream?: 'stdout' | 'stderr';
  /** UTF-8 text (a multi-byte character split across engine chunks is kept whole). */
  data: string;
}

export interface ExecExitMessage {
  type: 'exec.exit';
  session: string;
  /** The process's exit code; null when the session was detached while the process still ran. */
  exitCode: number | null;
}

export type ServerMessage =
  | ReadyMessage
  | SubscribedMessage
  | UnsubscribedMessage
  | EventMessage
  | LogMessage
  | DroppedMessage
  | ErrorMessage
  | PongMessage
  | ExecStartedMessage
  | ExecOutputMessage
  | ExecExitMessage;

export type ServerMessageType = ServerMessage['type'];

export const CLIENT_MESSAGE_TYPES = ['auth', 'subscribe', 'unsubscribe', 'ping', 'exec.start', 'exec.stdin', 'exec.resize', 'exec.close'] as const satisfies readonly ClientMessageType[];
export const SERVER_MESSAGE_TYPES = [
  'ready',
  'subscribed',
  'unsubscribed',
  'event',
  'log',
  'dropped',
  'error',
  'pong',
  'exec.started',
  'exec.output',
  'exec.exit',
] as const satisfies readonly ServerMessageType[];

// Both lists name every message type (a compile error otherwise); the AsyncAPI document is checked against them.
type Exhaustive<All, Listed> = [Exclude<All, Listed>] extends [never] ? true : false;
export const CLIENT_TYPES_LISTED: Exhaustive<ClientMessageType, (typeof CLIENT_MESSAGE_TYPES)[number]> = true;
export const SERVER_TYPES_LISTED: Exhaustive<ServerMessageType, (typeof SERVER_MESSAGE_TYPES)[number]> = true;
