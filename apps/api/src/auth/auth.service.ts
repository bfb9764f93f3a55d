import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/domain-error';
import { CryptoService, TOKEN_PREFIX } from '../crypto/crypto.service';
import { AuthRepository } from './auth.repository';
import type { Principal } from './principal';

const TOUCH_INTERVAL_MS = 60_000;
/** Most tokens the opt-in cache (BERTH_AUTH_CACHE_MS) holds; the oldest entry makes room. */
export const AUTH_CACHE_MAX_ENTRIES = 10_000;

type TokenRow = NonNullable<Awaited<ReturnType<AuthRepository['findTokenByHash']>>>;

@Injectable()
export class AuthService {
  private readonly logger = new Logger('AuthService');
  /** HMAC digest → token row and when it was read; only used when BERTH_AUTH_CACHE_MS > 0. */
  private readonly cache = new Map<string, { token: TokenRow; readAt: number }>();

  constructor(
    @Inject(AuthRepository) private readonly repo: AuthRepository,
    @Inject(CryptoService) private readonly crypto: CryptoService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

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
   * Drops a token from this process's cache, so a revoke (or any change to it) takes effect here
   * at once. Other API processes notice within BERTH_AUTH_CACHE_MS.
   */
  forget(tokenId: string): void {
    for (const [hash, entry] of this.cache) if (entry.token.id === tokenId) this.cache.delete(hash);
  }

  /**
   * The token row for a digest: from the database, or with BERTH_AUTH_CACHE_MS > 0 from a copy
   * read at most that long ago. Only tokens that exist and are not revoked are kept; expiry is
   * checked by the caller on every request either way.
   */
  private async lookup(hash: string, now: Date): Promise<TokenRow | null> {
    const ttl = this.config.authCacheMs ?? 0;
    if (ttl <= 0) return this.repo.findTokenByHash(hash);
    const hit = this.cache.get(hash);
    if (hit && now.getTime() - hit.readAt < ttl) return hit.token;
    const token = await this.repo.findTokenByHash(hash);
    this.cache.delete(hash);
    if (token && !token.revokedAt) {
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
