import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getOptionsToken, getStorageToken, ThrottlerGuard, type ThrottlerLimitDetail, type ThrottlerModuleOptions, type ThrottlerStorage } from '@nestjs/throttler';
import { IS_PUBLIC } from '../auth/auth.decorators';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { AppConfig } from '../config/app-config';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export type RequestKind = 'reads' | 'writes';

export function requestKind(ctx: ExecutionContext): RequestKind {
  return READ_METHODS.has(ctx.switchToHttp().getRequest<{ method: string }>().method) ? 'reads' : 'writes';
}

/**
 * Per-token request rates (@nestjs/throttler, in-memory, per API process): one bucket for reads
 * (GET/HEAD/OPTIONS) and one for everything else, per token — or per client IP where no token was
 * resolved. A global guard registered after AuthGuard (LimitsModule is imported after AuthModule),
 * so the principal is known. @Public routes (health, docs) are exempt. Over the limit: 429
 * RATE_LIMITED with Retry-After (seconds).
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @Inject(getOptionsToken()) options: ThrottlerModuleOptions,
    @Inject(getStorageToken()) storage: ThrottlerStorage,
    @Inject(Reflector) reflector: Reflector,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {
    super(options, storage, reflector);
  }

  /** The configured limit of this request's kind (0 = not limited). */
  limitFor(ctx: ExecutionContext): number {
    return requestKind(ctx) === 'reads' ? this.config.limits.readsPerWindow : this.config.limits.writesPerWindow;
  }

  protected override async shouldSkip(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [ctx.getHandler(), ctx.getClass()])) return true;
    return this.limitFor(ctx) === 0;
  }

  protected override async getTracker(req: Record<string, any>): Promise<string> {
    const principal = req.principal as Principal | undefined;
    return principal ? `token:${principal.tokenId}` : `ip:${await super.getTracker(req)}`;
  }

  /** One bucket per tracker and kind, across every route (the default is one per route). */
  protected override generateKey(ctx: ExecutionContext, tracker: string, name: string): string {
    return `${name}:${requestKind(ctx)}:${tracker}`;
  }

  protected override async throwThrottlingException(ctx: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const kind = requestKind(ctx);
    const variable = kind === 'reads' ? 'BERTH_RATE_LIMIT_READS' : 'BERTH_RATE_LIMIT_WRITES';
    const seconds = Math.round(detail.ttl / 1000);
    const who = detail.tracker.startsWith('token:') ? 'this token' : 'this address';
    throw new DomainError(
      'RATE_LIMITED',
      `Rate limit exceeded: ${detail.limit} ${kind} per ${seconds} s for ${who} (${variable}, BERTH_RATE_LIMIT_WINDOW_MS); retry after ${detail.timeToBlockExpire} s`,
      [{ field: kind, rule: `max:${detail.limit}/${seconds}s`, message: `at most ${detail.limit} ${kind} per ${seconds} s` }],
    );
  }
}
