import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { bearerToken } from '../auth/auth.guard';
import type { Principal } from '../auth/principal';
import { parseClientMessage, refOf } from './client-messages';
import type { ExecSession } from './exec-session';
import { SocketSender } from './socket-sender';
import { StreamError, toStreamError } from './stream-errors';
import { CLOSE_CODES, ClientMessage, ErrorMessage, Ref } from './stream-protocol';
import type { Subscription, SubscriptionContext } from './subscription';
import { isLogTopic, parseTopic } from './topics';

/** What the audit log records of a /ws message (exec.start, subscriptions to log topics). */
export interface StreamAuditEntry {
  /** e.g. "WS exec.start", "WS subscribe containers/:id/logs". */
  action: string;
  target: string | null;
  result: 'ok' | 'denied' | 'error';
  details: Record<string, unknown>;
}

const DENIED_CODES = new Set(['FORBIDDEN', 'NOT_FOUND', 'UNAUTHENTICATED', 'TOO_MANY_SUBSCRIPTIONS']);

/** The audit entry of a /ws log subscription, or undefined when the topic is not a log topic (or not a topic at all). */
function logTopicAudit(topic: string): Pick<StreamAuditEntry, 'action' | 'target'> | undefined {
  let parsed;
  try {
    parsed = parseTopic(topic);
  } catch {
    return undefined;
  }
  if (!isLogTopic(parsed)) return undefined;
  return parsed.kind === 'containerLogs' ? { action: 'WS subscribe containers/:id/logs', target: parsed.container } : { action: 'WS subscribe deployments/:name/logs', target: parsed.name };
}

/** What a connection needs from the server side (StreamService provides it). */
export interface ConnectionHost {
  readonly sendBufferBytes: number;
  readonly maxSubscriptions: number;
  readonly authTimeoutMs: number;
  authenticate(secret: string | undefined): Promise<Principal>;
  /** Registers the authenticated socket; false (and a reason) when the token holds too many. */
  admit(connection: StreamConnection): { ok: true } | { ok: false; reason: string };
  ready(connection: StreamConnection): void;
  subscription(ctx: SubscriptionContext, msg: Extract<ClientMessage, { type: 'subscribe' }>): { build: () => Promise<Subscription>; carries: 'events' | 'logs' };
  exec(connection: StreamConnection, msg: Extract<ClientMessage, { type: 'exec.start' }>, done: (s: ExecSession) => void): Promise<ExecSession>;
  subscriptionsChanged(carries: 'events' | 'logs', delta: number): void;
  execsChanged(delta: number): void;
  closed(connection: StreamConnection): void;
  /** Records an audited act of this socket (exec.start, log subscriptions) in the audit log. */
  audit(connection: StreamConnection, entry: StreamAuditEntry): void;
}

const logger = new Logger('StreamConnection');

/**
 * One /ws socket: authentication (Authorization header, `?token=`, or a first `auth` message),
 * then the client's messages in order, its subscriptions by topic and its exec sessions.
 */
export class StreamConnection {
  principal?: Principal;
  readonly sender: SocketSender;
  /** The audit log's request id for this socket's acts: the upgrade's X-Request-Id, or a new UUID. */
  readonly socketId: string;
  readonly sourceIp: string | null;
  /** Heartbeat: set by a pong, cleared by each ping. */
  alive = true;
  private state: 'authenticating' | 'ready' | 'closed' = 'authenticating';
  /** Messages that arrived while the token in the upgrade request was being checked. */
  private early: string[] = [];
  private authTimer?: NodeJS.Timeout;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly execs = new Map<string, ExecSession>();
  /** Client messages are handled one at a time, in order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly ws: WebSocket,
    request: IncomingMessage,
    private readonly host: ConnectionHost,
  ) {
    this.sender = new SocketSender(ws, host.sendBufferBytes);
    const requestId = request.headers['x-request-id'];
    this.socketId = typeof requestId === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(requestId) ? requestId : randomUUID();
    this.sourceIp = request.socket?.remoteAddress ?? null;
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => logger.debug?.(`Socket error: ${err.message}`));

    const secret = bearerToken(request.headers.authorization) ?? tokenFromQuery(request.url);
    if (secret) {
      void this.authenticate(secret, undefined);
    } else {
      this.authTimer = setTimeout(() => this.close(CLOSE_CODES.UNAUTHENTICATED, 'Authentication timeout: send a token'), host.authTimeoutMs);
      this.authTimer.unref();
    }
  }

  get isOpen(): boolean {
    return this.state !== 'closed';
  }

  get subscriptionCount(): number {
    return this.subscriptions.size + this.execs.size;
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.ws.close(code, reason);
    this.onClose();
  }

  private async authenticate(secret: string, ref: Ref | undefined): Promise<void> {
    clearTimeout(this.authTimer);
    let principal: Principal;
    try {
      principal = await this.host.authenticate(secret);
    } catch (err) {
      if (this.state === 'closed') return;
      const message = err instanceof Error ? err.message : 'Invalid token';
      this.sendError({ code: 'UNAUTHENTICATED', message, ...(ref !== undefined ? { ref } : {}) });
      return this.close(CLOSE_CODES.UNAUTHENTICATED, truncate(message));
    }
    if (this.state === 'closed') return;
    this.principal = principal;
    const admitted = this.host.admit(this);
    if (!admitted.ok) return this.close(CLOSE_CODES.TOO_MANY_SOCKETS, truncate(admitted.reason));
    this.state = 'ready';
    this.host.ready(this);
    for (const raw of this.early.splice(0)) this.enqueue(raw);
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.state === 'closed') return;
    const raw = isBinary ? '' : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    if (isBinary) {
      this.sendError({ code: 'BAD_MESSAGE', message: 'Messages are JSON text frames' });
      return;
    }
    if (this.state === 'ready') return this.enqueue(raw);
    if (this.authTimer === undefined || this.principal) {
      // The upgrade carried a token that is being checked: keep the message for afterwards.
      if (this.early.length < 100) this.early.push(raw);
      return;
    }
    // Without a token in the upgrade, the first message must be `auth`.
    let msg: ClientMessage;
    try {
      msg = parseClientMessage(raw);
    } catch (err) {
      const e = toStreamError(err);
      this.sendError({ code: e.code, message: e.message });
      return this.close(CLOSE_CODES.UNAUTHENTICATED, 'The first message must be {"type":"auth","token":…}');
    }
    if (msg.type !== 'auth') {
      this.sendError({ code: 'UNAUTHENTICATED', message: 'Not authenticated: the first message must be {"type":"auth","token":…}', ...(msg.ref !== undefined ? { ref: msg.ref } : {}) });
      return this.close(CLOSE_CODES.UNAUTHENTICATED, 'The first message must be {"type":"auth","token":…}');
    }
    this.authTimer = undefined;
    void this.authenticate(msg.token, msg.ref);
  }

  private enqueue(raw: string): void {
    this.queue = this.queue.then(() => this.handle(raw));
  }

  private async handle(raw: string): Promise<void> {
    if (this.state !== 'ready') return;
    let msg: ClientMessage | undefined;
    try {
      msg = parseClientMessage(raw);
      await this.dispatch(msg);
    } catch (err) {
      const e = toStreamError(err);
      if (e.code === 'INTERNAL') logger.error(`Handling a ${msg?.type ?? 'message'} failed: ${(err as Error)?.stack ?? err}`);
      const ref = msg?.ref ?? safeRef(raw);
      const topic = msg && 'topic' in msg ? msg.topic : undefined;
      const session = msg && 'session' in msg ? msg.session : undefined;
      this.sendError({ code: e.code, message: e.message, ...e.extra, ...(ref !== undefined ? { ref } : {}), ...(topic ? { topic } : {}), ...(session ? { session } : {}) });
    }
  }

  private async dispatch(msg: ClientMessage): Promise<void> {
    const ref = msg.ref !== undefined ? { ref: msg.ref } : {};
    switch (msg.type) {
      case 'auth':
        throw new StreamError('ALREADY_AUTHENTICATED', 'This socket is already authenticated');
      case 'ping':
        this.sender.send({ type: 'pong', ...ref, time: new Date().toISOString() });
        return;
      case 'subscribe':
        return this.subscribe(msg);
      case 'unsubscribe': {
        const sub = this.subscriptions.get(msg.topic);
        if (!sub) throw new StreamError('NOT_SUBSCRIBED', `This socket does not follow ${JSON.stringify(msg.topic)}`);
        this.removeSubscription(sub);
        this.sender.send({ type: 'unsubscribed', ...ref, topic: msg.topic, reason: 'requested' });
        return;
      }
      case 'exec.start':
        return this.audited({ action: 'WS exec.start', target: msg.container, details: { session: msg.session, ...ref } }, () => this.execStart(msg));
      case 'exec.stdin':
        return this.session(msg.session).write(msg.data, msg.eof);
      case 'exec.resize':
        return this.session(msg.session).resize(msg.cols, msg.rows);
      case 'exec.close':
        return this.session(msg.session).close();
    }
  }

  /**
   * Runs an audited act and records its outcome: ok when it resolves, denied or error (with the
   * stream error code) when it throws. The command, stdin and log lines are never recorded.
   */
  private async audited(entry: Omit<StreamAuditEntry, 'result'>, act: () => Promise<void>): Promise<void> {
    try {
      await act();
    } catch (err) {
      const e = toStreamError(err);
      this.host.audit(this, { ...entry, result: DENIED_CODES.has(e.code) ? 'denied' : 'error', details: { ...entry.details, code: e.code } });
      throw err;
    }
    this.host.audit(this, { ...entry, result: 'ok' });
  }

  private async execStart(msg: Extract<ClientMessage, { type: 'exec.start' }>): Promise<void> {
    if (this.execs.has(msg.session)) throw new StreamError('SESSION_EXISTS', `Session ${msg.session} is already open`);
    this.checkLimit();
    // Reserve the name while the engine works, so a second exec.start with it is refused.
    const placeholder = {} as ExecSession;
    this.execs.set(msg.session, placeholder);
    this.host.execsChanged(1);
    try {
      const session = await this.host.exec(this, msg, (s) => {
        if (this.execs.get(s.session) === s) {
          this.execs.delete(s.session);
          this.host.execsChanged(-1);
        }
      });
      if (this.execs.get(msg.session) !== placeholder) return; // the socket closed meanwhile
      this.execs.set(msg.session, session);
      if (this.state === 'closed') session.close();
    } catch (err) {
      if (this.execs.get(msg.session) === placeholder) {
        this.execs.delete(msg.session);
        this.host.execsChanged(-1);
      }
      throw err;
    }
  }

  private session(name: string): ExecSession {
    const s = this.execs.get(name);
    if (!s || !('session' in s)) throw new StreamError('NO_SUCH_SESSION', `No exec session ${name} is open on this socket`);
    return s;
  }

  private checkLimit(replacing = false): void {
    if (!replacing && this.subscriptionCount >= this.host.maxSubscriptions) {
      throw new StreamError('TOO_MANY_SUBSCRIPTIONS', `A socket may hold ${this.host.maxSubscriptions} subscriptions and exec sessions (BERTH_WS_MAX_SUBSCRIPTIONS); unsubscribe first`);
    }
  }

  private async subscribe(msg: Extract<ClientMessage, { type: 'subscribe' }>): Promise<void> {
    // Subscriptions to log topics are audited: refused at once, refused by start(), or started.
    const logAudit = logTopicAudit(msg.topic);
    const audit = (err?: unknown) => {
      if (!logAudit) return;
      const details = { topic: msg.topic, ...(msg.ref !== undefined ? { ref: msg.ref } : {}) };
      if (err === undefined) return this.host.audit(this, { ...logAudit, result: 'ok', details });
      const code = toStreamError(err).code;
      this.host.audit(this, { ...logAudit, result: DENIED_CODES.has(code) ? 'denied' : 'error', details: { ...details, code } });
    };
    let sub: Subscription;
    try {
      sub = await this.prepareSubscription(msg);
    } catch (err) {
      audit(err);
      throw err;
    }
    if (this.state === 'closed') return sub.stop();
    const current = this.subscriptions.get(msg.topic);
    if (current) this.removeSubscription(current); // a concurrent subscribe to the same topic: the last one wins
    this.subscriptions.set(msg.topic, sub);
    this.host.subscriptionsChanged(sub.carries, 1);
    // Started outside the message queue: a replay may take as long as the client takes to read it,
    // and the socket's other messages (unsubscribe, ping, exec…) must not wait for it.
    sub.start().then(
      () => audit(),
      (err: unknown) => {
        audit(err);
        if (this.subscriptions.get(msg.topic) === sub) this.removeSubscription(sub);
        else sub.stop();
        if (this.state === 'closed') return;
        const e = toStreamError(err);
        if (e.code === 'INTERNAL') logger.error(`Subscribing to ${msg.topic} failed: ${(err as Error)?.stack ?? err}`);
        this.sendError({ code: e.code, message: e.message, ...e.extra, ...(msg.ref !== undefined ? { ref: msg.ref } : {}), topic: msg.topic });
      },
    );
  }

  /** Checks and builds the subscription (not yet registered or started). */
  private async prepareSubscription(msg: Extract<ClientMessage, { type: 'subscribe' }>): Promise<Subscription> {
    const existing = this.subscriptions.get(msg.topic);
    this.checkLimit(Boolean(existing));
    const ctx: SubscriptionContext = {
      topic: msg.topic,
      ...(msg.ref !== undefined ? { ref: msg.ref } : {}),
      principal: this.principal!,
      sender: this.sender,
      ended: (sub) => {
        if (this.subscriptions.get(sub.topic) === sub) this.removeSubscription(sub);
      },
    };
    const { build } = this.host.subscription(ctx, msg);
    // Subscribing again to a followed topic replaces that subscription (e.g. resubscribing after `dropped`).
    if (existing) this.removeSubscription(existing);
    return build();
  }

  private removeSubscription(sub: Subscription): void {
    sub.stop();
    if (this.subscriptions.get(sub.topic) === sub) {
      this.subscriptions.delete(sub.topic);
      this.host.subscriptionsChanged(sub.carries, -1);
    }
  }

  private sendError(error: Omit<ErrorMessage, 'type'>): void {
    this.sender.send({ type: 'error', ...error });
  }

  private onClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.authTimer);
    this.early = [];
    this.sender.markClosed();
    for (const sub of [...this.subscriptions.values()]) this.removeSubscription(sub);
    for (const [name, s] of [...this.execs]) {
      if ('session' in s) s.close();
      else {
        this.execs.delete(name);
        this.host.execsChanged(-1);
      }
    }
    this.host.closed(this);
  }
}

function tokenFromQuery(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const token = new URL(url, 'http://localhost').searchParams.get('token');
  return token || undefined;
}

function safeRef(raw: string): Ref | undefined {
  try {
    return refOf(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

/** Close reasons are at most 123 bytes. */
function truncate(reason: string): string {
  if (Buffer.byteLength(reason) <= 123) return reason;
  let out = reason.slice(0, 120);
  while (Buffer.byteLength(out) > 120) out = out.slice(0, -1);
  return `${out}...`;
}
