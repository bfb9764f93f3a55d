import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import { AuditService } from '../audit/audit.service';
import { AuthService } from '../auth/auth.service';
import { AppConfig } from '../config/app-config';
import { DockerService } from '../docker/docker.service';
import { MetricsService } from '../metrics/metrics.service';
import { ContainerScopeService } from './container-scope.service';
import { EventFeed } from './event-feed.service';
import { PolicyService } from '../policy/policy.service';
import { execCreateOptions, ExecSession } from './exec-session';
import { ConnectionHost, StreamAuditEntry, StreamConnection } from './stream-connection';
import { StreamMetrics } from './stream-metrics';
import { authorizeExec } from './stream-permissions';
import { CLOSE_CODES, ClientMessage } from './stream-protocol';
import { StreamTopicsService } from './stream-topics.service';
import type { SubscriptionContext } from './subscription';
import { isLogTopic } from './topics';

/**
 * The /ws server side: every open socket, the per-token socket limit, heartbeats, and closing
 * everything on shutdown. The gateway hands each new socket to `accept()`.
 */
@Injectable()
export class StreamService implements ConnectionHost, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Stream');
  private readonly connections = new Set<StreamConnection>();
  private readonly byToken = new Map<string, Set<StreamConnection>>();
  private heartbeat?: NodeJS.Timeout;
  private shuttingDown = false;

  readonly sendBufferBytes: number;
  readonly maxSubscriptions: number;
  readonly authTimeoutMs: number;
  private readonly maxSocketsPerToken: number;
  private readonly heartbeatMs: number;

  constructor(
    @Inject(AppConfig) config: AppConfig,
    @Inject(AuthService) private readonly auth: AuthService,
    @Inject(StreamTopicsService) private readonly topics: StreamTopicsService,
    @Inject(ContainerScopeService) private readonly scope: ContainerScopeService,
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(EventFeed) private readonly feed: EventFeed,
    @Inject(MetricsService) private readonly metrics: MetricsService,
    @Inject(StreamMetrics) private readonly streamMetrics: StreamMetrics,
    @Inject(AuditService) private readonly auditLog: AuditService,
    @Inject(PolicyService) private readonly policy: PolicyService,
  ) {
    ({ sendBufferBytes: this.sendBufferBytes, maxSubscriptions: this.maxSubscriptions, authTimeoutMs: this.authTimeoutMs } = config.stream);
    this.maxSocketsPerToken = config.stream.maxSocketsPerToken;
    this.heartbeatMs = config.stream.heartbeatMs;
    this.streamMetrics.bufferedBytes = () => [...this.connections].map((c) => c.sender.buffered);
  }

  onModuleInit(): void {
    this.auth.onRevoked((tokenId) => this.closeToken(tokenId, 'Token has been revoked'));
    this.heartbeat = setInterval(() => this.beat(), this.heartbeatMs);
    this.heartbeat.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.closeAll();
  }

  /** Open sockets (authenticated or not). */
  get size(): number {
    return this.connections.size;
  }

  accept(ws: WebSocket, request: IncomingMessage): void {
    if (this.shuttingDown) {
      ws.close(CLOSE_CODES.GOING_AWAY, 'Server shutting down');
      return;
    }
    const connection = new StreamConnection(ws, request, this);
    this.connections.add(connection);
    this.metrics.wsClients.inc();
  }

  /**
   * Sends every socket away with 1001 (clients reconnect and resume with `since`), and cuts off
   * those that do not finish the closing handshake within `graceMs`. main.ts calls this before
   * waiting for the HTTP server to close, which would otherwise wait for the sockets forever.
   */
  async closeAll(graceMs = 1_000): Promise<void> {
    this.shuttingDown = true;
    const sockets = [...this.connections].map((c) => c.ws);
    for (const c of [...this.connections]) c.close(CLOSE_CODES.GOING_AWAY, 'Server shutting down');
    const open = () => sockets.filter((ws) => ws.readyState !== ws.CLOSED);
    const deadline = Date.now() + graceMs;
    while (open().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const ws of open()) ws.terminate();
  }

  // ---------------------------------------------------------------- ConnectionHost

  authenticate(secret: string | undefined) {
    return this.auth.authenticate(secret);
  }

  admit(connection: StreamConnection): { ok: true } | { ok: false; reason: string } {
    const tokenId = connection.principal!.tokenId;
    const mine = this.byToken.get(tokenId) ?? new Set<StreamConnection>();
    if (mine.size >= this.maxSocketsPerToken) {
      return { ok: false, reason: `Too many sockets for this token (BERTH_WS_MAX_SOCKETS_PER_TOKEN=${this.maxSocketsPerToken})` };
    }
    mine.add(connection);
    this.byToken.set(tokenId, mine);
    return { ok: true };
  }

  ready(connection: StreamConnection): void {
    const p = connection.principal!;
    connection.sender.send({
      type: 'ready',
      tokenId: p.tokenId,
      teamId: p.teamId,
      role: p.role,
      latestSeq: this.feed.head,
      heartbeatMs: this.heartbeatMs,
      limits: { sendBufferBytes: this.sendBufferBytes, maxSubscriptions: this.maxSubscriptions, maxSocketsPerToken: this.maxSocketsPerToken },
    });
  }

  subscription(ctx: SubscriptionContext, msg: Extract<ClientMessage, { type: 'subscribe' }>) {
    const { topic, build } = this.topics.create(ctx, msg);
    return { build, carries: isLogTopic(topic) ? ('logs' as const) : ('events' as const) };
  }

  async exec(connection: StreamConnection, msg: Extract<ClientMessage, { type: 'exec.start' }>, done: (s: ExecSession) => void): Promise<ExecSession> {
    const principal = connection.principal!;
    authorizeExec(principal);
    const container = await this.scope.resolve(principal, msg.container);
    await this.policy.admitExec(principal, container.id, execCreateOptions(msg));
    const session = new ExecSession(msg.session, container.id, msg, this.docker, connection.sender, done);
    await session.start();
    return session;
  }

  subscriptionsChanged(carries: 'events' | 'logs', delta: number): void {
    this.streamMetrics.subscriptions.inc({ carries }, delta);
  }

  audit(connection: StreamConnection, entry: StreamAuditEntry): void {
    const p = connection.principal;
    void this.auditLog.record({
      tokenId: p?.tokenId ?? null,
      teamId: p?.teamId ?? null,
      method: 'WS',
      action: entry.action,
      target: entry.target,
      result: entry.result,
      statusCode: null,
      requestId: connection.socketId,
      sourceIp: connection.sourceIp,
      details: entry.details,
    });
  }

  execsChanged(delta: number): void {
    this.streamMetrics.execSessions.inc(delta);
  }

  closed(connection: StreamConnection): void {
    if (!this.connections.delete(connection)) return;
    this.metrics.wsClients.dec();
    const tokenId = connection.principal?.tokenId;
    const mine = tokenId ? this.byToken.get(tokenId) : undefined;
    if (mine) {
      mine.delete(connection);
      if (!mine.size) this.byToken.delete(tokenId!);
    }
  }

  /** Closes every socket of a token (revoked) with 4401. */
  closeToken(tokenId: string, reason: string): void {
    for (const c of [...(this.byToken.get(tokenId) ?? [])]) c.close(CLOSE_CODES.UNAUTHENTICATED, reason);
  }

  /** Pings every socket; one that did not answer the previous ping is dead and is dropped. */
  private beat(): void {
    for (const c of this.connections) {
      if (!c.alive) {
        this.logger.debug?.('Dropping a socket that did not answer the last ping');
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        c.ws.terminate();
      }
    }
  }
}
