import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DomainError } from '../common/domain-error';
import { CryptoService, TOKEN_PREFIX } from '../crypto/crypto.service';
import { AuthRepository } from './auth.repository';
import type { Principal } from './principal';

const TOUCH_INTERVAL_MS = 60_000;

@Injectable()
export class AuthService {
  private readonly logger = new Logger('AuthService');

  constructor(
    @Inject(AuthRepository) private readonly repo: AuthRepository,
    @Inject(CryptoService) private readonly crypto: CryptoService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  /** Resolves a bearer secret to a principal, or throws UNAUTHENTICATED with a reason. */
  async authenticate(secret: string | undefined, now = new Date()): Promise<Principal> {
    if (!secret) throw new DomainError('UNAUTHENTICATED', 'Missing bearer token: send Authorization: Bearer <token>');
    const hash = this.crypto.hashToken(secret);
    const token = await this.repo.findTokenByHash(hash);
    // The lookup is by HMAC digest; compare again in constant time so no timing path leaks.
    if (!token || !this.crypto.safeEqual(token.hash, hash)) throw new DomainError('UNAUTHENTICATED', 'Invalid bearer token');
    if (token.revokedAt) throw new DomainError('UNAUTHENTICATED', 'Token has been revoked');
    if (token.expiresAt && token.expiresAt <= now) throw new DomainError('UNAUTHENTICATED', 'Token has expired');
    if (!token.lastUsedAt || now.getTime() - token.lastUsedAt.getTime() > TOUCH_INTERVAL_MS) {
      this.repo.touchToken(token.id, now).catch((err) => this.logger.warn(`Could not record token use: ${err}`));
    }
    return { tokenId: token.id, teamId: token.teamId, role: token.role, deployments: token.deployments ?? [] };
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
