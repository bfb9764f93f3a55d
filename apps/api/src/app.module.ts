import { DynamicModule, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { destination } from 'pino';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { ContainersModule } from './containers/containers.module';
import { CryptoModule } from './crypto/crypto.module';
import { DatabaseModule } from './database/database.module';
import { DeploymentsModule } from './deployments/deployments.module';
import { DockerModule } from './docker/docker.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { ImagesModule } from './images/images.module';
import { LimitsModule } from './limits/limits.module';
import { MetricsModule } from './metrics/metrics.module';
import { OperationsModule } from './operations/operations.module';
import { PolicyModule } from './policy/policy.module';
import { StreamModule } from './stream/stream.module';
import { RegistriesModule } from './registries/registries.module';
import { SystemModule } from './system/system.module';
import { TeamsModule } from './teams/teams.module';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Takes a sane incoming X-Request-Id, or makes one; echoes it on the response. */
function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot({
          // Log lines (one per request) go to stdout asynchronously: the write happens on libuv's
          // side, off the request path, lines written meanwhile share one write, and pino flushes
          // what is pending when the process exits (docs/architecture.md, "Request path").
          pinoHttp: [{
            level: config.logLevel,
            genReqId: requestId,
            redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.query.token'], censor: '[redacted]' },
            customProps: (req) => ({ tokenId: (req as IncomingMessage & { principal?: { tokenId: string } }).principal?.tokenId }),
            autoLogging: { ignore: (req) => req.url === '/health/live' },
          }, destination({ dest: 1, sync: false })],
        }),
        MetricsModule,
        DatabaseModule,
        DockerModule,
        CryptoModule,
        AuthModule,
        // After AuthModule: its global rate-limit guard needs the principal AuthGuard attaches.
        LimitsModule,
        AuditModule,
        TeamsModule,
        PolicyModule,
        EventsModule,
        OperationsModule,
        DeploymentsModule,
        HealthModule,
        SystemModule,
        RegistriesModule,
        ImagesModule,
        ContainersModule,
        StreamModule,
      ],
    };
  }
}
