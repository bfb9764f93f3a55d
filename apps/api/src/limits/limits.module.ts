import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { RateLimitGuard, requestKind } from './rate-limit.guard';

/**
 * Abuse limits that apply to every route: per-token request rates (RateLimitGuard). Must be
 * imported after AuthModule in AppModule: global guards run in registration order, and the rate
 * limiter needs the principal AuthGuard attaches. Body size limits live in app.setup.ts, list
 * caps in the list DTOs, the per-team operation cap in OperationsRepository.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [
          {
            name: 'default',
            ttl: config.limits.rateWindowMs,
            limit: (ctx) => (requestKind(ctx) === 'reads' ? config.limits.readsPerWindow : config.limits.writesPerWindow),
          },
        ],
      }),
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }],
})
export class LimitsModule {}
