import { Inject, Injectable, Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DatabaseConnection } from '../database/database-connection';
import { PrismaService } from '../database/prisma.service';
import type { TokenRole } from '../generated/prisma/enums';

const BOOTSTRAP_LOCK_ID = 4_242_001;
/** The channel prisma/migrations/20261201123000_api_tokens_notify announces token changes on. */
export const TOKEN_CHANGES_CHANNEL = 'berth_api_tokens';
const RECONNECT_MAX_MS = 15_000;
/** How often the listening connection is checked, so one that died silently is noticed (and replaced). */
const HEARTBEAT_MS = 10_000;

/** A change to api_tokens: one token (`revoked` when revoked or deleted), or every token (`all`). */
export type TokenChange = { id: string; revoked: boolean } | { all: true };

export interface TokenChangeHandlers {
  change(change: TokenChange): void;
  /**
   * Whether changes are being delivered: true once listening, false when the listening
   * connection is lost (until it is back). Changes made while it was down are never delivered.
   */
  live(live: boolean): void;
}

export interface TokenChangeFeed {
  close(): Promise<void>;
}

@Injectable()
export class AuthRepository {
  constructor(
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @Inject(DatabaseConnection) private readonly connection: DatabaseConnection,
  ) {}

  /**
   * Follows changes to api_tokens with LISTEN on a dedicated connection (server mode), reconnecting
   * with back-off when it drops. Embedded PGlite serves a single connection (the pool's), so there
   * is no feed there: returns undefined, and the caller relies on in-process invalidation (one
   * process per embedded database).
   */
  watchTokenChanges(handlers: TokenChangeHandlers): TokenChangeFeed | undefined {
    if (this.connection.mode !== 'server') return undefined;
    return new PgTokenChangeFeed(this.connection.url, handlers);
  }

  findTokenByHash(hash: string) {
    return this.prisma.apiToken.findUnique({ where: { hash } });
  }

  async touchToken(id: string, at: Date): Promise<void> {
    await this.prisma.apiToken.updateMany({ where: { id }, data: { lastUsedAt: at } });
  }

  /**
   * Creates the first team and its owner token if, and only if, no token exists yet — under a
   * transaction-scoped advisory lock, so two processes starting at once create one between them.
   */
  async createBootstrapTokenIfEmpty(input: { teamName: string; tokenName: string; role: TokenRole; hash: string; prefix: string }): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK_ID})`;
      if ((await tx.apiToken.count()) > 0) return false;
      const team = await tx.team.upsert({ where: { name: input.teamName }, create: { name: input.teamName }, update: {} });
      await tx.apiToken.create({ data: { teamId: team.id, name: input.tokenName, role: input.role, hash: input.hash, prefix: input.prefix } });
      return true;
    });
  }
}

/**
 * LISTEN berth_api_tokens on its own pg connection; a `SELECT 1` every 10 s (5 s timeout) notices
 * a connection that died without a word; reconnects with back-off (1 s … 15 s).
 */
class PgTokenChangeFeed implements TokenChangeFeed {
  private readonly logger = new Logger('TokenChanges');
  private client?: Client;
  private timer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private closed = false;
  private backoffMs = 1000;

  constructor(
    private readonly url: string,
    private readonly handlers: TokenChangeHandlers,
  ) {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client({ connectionString: this.url, keepAlive: true, query_timeout: 5000, connectionTimeoutMillis: 5000, application_name: 'berth-token-changes' });
    this.client = client;
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      clearInterval(this.heartbeat);
      this.handlers.live(false);
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.logger.warn(`Token change feed lost${err ? `: ${err.message}` : ''}; tokens are read from the database until it is back`);
      this.timer = setTimeout(() => void this.connect(), this.backoffMs);
      this.timer.unref();
      this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_MAX_MS);
    };
    client.on('error', onLost);
    client.on('end', () => onLost());
    client.on('notification', (msg) => {
      if (msg.channel !== TOKEN_CHANGES_CHANNEL) return;
      const change = parseChange(msg.payload);
      // Unreadable payload: drop everything rather than guess.
      this.handlers.change(change ?? { all: true });
    });
    try {
      await client.connect();
      // Without the triggers (migrations not applied: BERTH_MIGRATE_ON_START=false) nothing would
      // ever be announced: then the cache must stay off.
      const { rows } = await client.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'api_tokens'::regclass AND tgname LIKE 'api_tokens_notify_%'",
      );
      if (rows[0].n < 3) {
        this.logger.warn('api_tokens has no change triggers (migration 20261201123000_api_tokens_notify not applied): tokens are read from the database on every request');
        this.closed = true;
        await client.end().catch(() => undefined);
        return;
      }
      await client.query(`LISTEN ${TOKEN_CHANGES_CHANNEL}`);
    } catch (err) {
      onLost(err as Error);
      return;
    }
    if (this.closed || lost) return;
    this.backoffMs = 1000;
    this.handlers.live(true);
    this.heartbeat = setInterval(() => void client.query('SELECT 1').catch((err: Error) => onLost(err)), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.heartbeat);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}

function parseChange(payload: string | undefined): TokenChange | undefined {
  try {
    const v = JSON.parse(payload ?? '') as { id?: unknown; revoked?: unknown; all?: unknown };
    if (v.all === true) return { all: true };
    if (typeof v.id === 'string') return { id: v.id, revoked: v.revoked === true };
  } catch {
    // fall through
  }
  return undefined;
}
