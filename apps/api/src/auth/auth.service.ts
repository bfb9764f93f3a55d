import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/domain-error';
import { CryptoService, TOKEN_PREFIX } from '../crypto/crypto.service';
import { AuthRepository, TokenChange, TokenChangeFeed } from './auth.repository';
import type { Principal } from './principal';

const TOUCH_INTERVAL_MS = 60_000;
/** Most tokens the cache (BERTH_AUTH_CACHE_MS) holds; the oldest entry makes room. */
export const AUTH_CACHE_MAX_ENTRIES = 10_000;

type TokenRow = NonNullable<Awaited<ReturnType<AuthRepository['findTokenByHash']>>>;

/**
 * Tokens are resolved on every request. Validated token rows are cached for up to
 * BERTH_AUTH_CACHE_MS (default 30 s; 0 turns the cache off), and the cache is only used while
 * changes reach this process at once: with a database server, every change to api_tokens
 * (revoke, delete, role…, by any process or by hand) is announced by a trigger over
 * LISTEN/NOTIFY and drops the token here; while that feed is down, every request reads the
 * database. Embedded PGlite is one process per database, so the revoking process's `revoked()`
 * is the whole story there. Expiry is checked on every request either way.
 */
@Injectable()
export class AuthService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('AuthService');
  /** HMAC digest → token row and when it was read; used while `cacheLive` and BERTH_AUTH_CACHE_MS > 0. */
  private readonly cache = new Map<string, { token: TokenRow; readAt: number }>();
  /** Bumped on every invalidation: a lookup that started before one must not cache what it read. */
  private epoch = 0;
  /** Whether token changes reach this process at once (feed listening, or no other process can change tokens). */
  private cacheLive = false;
  private feed?: TokenChangeFeed;
  private readonly revokeListeners: Array<(tokenId: string) => void> = [];

  constructor(
    @Inject(AuthRepository) private readonly repo: AuthRepository,
    @Inject(CryptoService) private readonly crypto: CryptoService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if ((this.config.authCacheMs ?? 0) <= 0) return;
    this.feed = this.repo.watchTokenChanges({ change: (c) => this.changed(c), live: (live) => this.setLive(live) });
    // No feed: embedded database, one process; revokes go through this process's revoked().
    if (!this.feed) this.cacheLive = true;
  }

  async onModuleDestroy(): Promise<void> {
    this.setLive(false);
    await this.feed?.close();
  }

  /** Resolves a bearer secret to a principal, or throws UNAUTHENTICATED with a reason. */
  async authenticate(secret: string | undefined, now = new Date()): Promise<Principal> {
    if (!secret) throw new DomainError('UNAUTHENTICATED', 'Missing bearer token: send Authorization: Bearer <token>');
    const hash = this.crypto.hashToken(secret);
    const token = await this.lookup(hash, now);
    // The lookup is by HMAC digest; compare again in constant time so no timing path leaks.
    if (!token || !this.crypto.safeEqual(token.hash, hash)) throw new DomainError('UNAUTHENTICATED', 'Invalid bearer token');
    if (token.revokedAt) throw new DomainError('UNAUTHENTICATED', 'Token has been revoked');
    if (token.expiresAt && token.expiresAt <= now) throw new DomainError('UNAUTHENTICATED', 'Token has expired');
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      token.lastUsedAt = now;
      this.repo.touchToken(token.id, now).catch((err) => this.logger.warn(`Could not record token use: ${err}`));
    }
    return { tokenId: token.id, teamId: token.teamId, role: token.role, deployments: token.deployments ?? [] };
  }

  /**
   * Drops a token from this process's cache, so a change to it takes effect here at once. Other
   * API processes drop it when the database announces the change (api_tokens trigger).
   */
  forget(tokenId: string): void {
    this.epoch++;
    for (const [hash, entry] of this.cache) if (entry.token.id === tokenId) this.cache.delete(hash);
  }

  /** A change announced by the database (any process, or by hand). */
  private changed(change: TokenChange): void {
    if ('all' in change) {
      this.epoch++;
      this.cache.clear();
    } else if (change.revoked) {
      this.revoked(change.id);
    } else {
      this.forget(change.id);
    }
  }

  private setLive(live: boolean): void {
    // Whatever changed while the feed was down was never announced: start from an empty cache.
    this.epoch++;
    this.cache.clear();
    this.cacheLive = live;
  }

  /**
   * Called after a token was revoked in the database: drops it from the cache and tells every
   * listener (the /ws server closes the token's open sockets). Call it in the revoking process;
   * the other processes call it themselves when the database announces the revoke, and so does
   * the revoking one a moment later, so listeners must be idempotent.
   */
  revoked(tokenId: string): void {
    this.forget(tokenId);
    for (const listener of this.revokeListeners) {
      try {
        listener(tokenId);
      } catch (err) {
        this.logger.warn(`A revoke listener failed: ${err}`);
      }
    }
  }

  /** Registers a callback run whenever a token is revoked (see `revoked`). */
  onRevoked(listener: (tokenId: string) => void): void {
    this.revokeListeners.push(listener);
  }

  /**
   * The token row for a digest: from the cache while it is live (a copy read at most
   * BERTH_AUTH_CACHE_MS ago, dropped on any change to the token), else from the database. Only
   * tokens that exist and are not revoked are kept; expiry is checked by the caller on every
   * request either way.
   */
  private async lookup(hash: string, now: Date): Promise<TokenRow | null> {
    const ttl = this.config.authCacheMs ?? 0;
    if (ttl <= 0 || !this.cacheLive) return this.repo.findTokenByHash(hash);
    const hit = this.cache.get(hash);
    if (hit && now.getTime() - hit.readAt < ttl) return hit.token;
    const epoch = this.epoch;
    const token = await this.repo.findTokenByHash(hash);
    this.cache.delete(hash);
    // An invalidation (or the feed going down) while this read was in flight may concern this
    // very row: use it for this request, but do not keep it.
    if (token && !token.revokedAt && this.cacheLive && epoch === this.epoch) {
      if (this.cache.size >= AUTH_CACHE_MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(hash, { token, readAt: now.getTime() });
    }
    return token;
  }

  /**
   * On an empty database: create the first team and an owner token, and print the secret once
   * (or take BERTH_BOOTSTRAP_TOKEN). Returns the secret when one was printed, for tests.
   */
  async bootstrap(): Promise<string | undefined> {
    const secret = this.config.bootstrapToken ?? this.crypto.generateToken();
    const created = await this.repo.createBootstrapTokenIfEmpty({
      teamName: 'default',
      tokenName: 'bootstrap',
      role: 'owner',
      hash: this.crypto.hashToken(secret),
      prefix: secret.slice(0, TOKEN_PREFIX.length + 8),
    });
    if (!created) return undefined;
    if (this.config.bootstrapToken) {
      this.logger.log('Created the bootstrap owner token from BERTH_BOOTSTRAP_TOKEN');
    } else {
      // Printed once, to stdout, outside the JSON log so it is easy to copy and never re-logged.
      process.stdout.write(`\nBerth bootstrap owner token (shown once, store it now):\n\n    ${secret}\n\n`);
    }
    return secret;
  }
}
