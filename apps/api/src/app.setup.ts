import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { auditMiddleware } from './audit/audit.middleware';
import { AuditService } from './audit/audit.service';
import { AppConfig } from './config/app-config';
import { HttpErrorFilter } from './common/http-error.filter';
import { createValidationPipe } from './common/validation';
import { MetricsService } from './metrics/metrics.service';
import { httpMetricsMiddleware } from './metrics/metrics.middleware';
import { setupOpenApi } from './openapi';
import { YAML_TYPES, yamlBodyMiddleware } from './common/yaml-body';

/** The default of BERTH_BODY_LIMIT_BYTES: the largest JSON or YAML request body (larger answers 413). */
export const JSON_BODY_LIMIT = 1_048_576;

/** Builds the application exactly as production runs it; tests call this too. */
export async function createApp(config: AppConfig, options: { preview?: boolean } = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    bufferLogs: true,
    bodyParser: false,
    preview: options.preview,
    abortOnError: false,
  });
  if (!options.preview) app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  // First, so every mutating request is audited, including those the body parser refuses (413).
  if (!options.preview) app.use(auditMiddleware(app.get(AuditService)));
  if (!options.preview) app.use(httpMetricsMiddleware(app.get(MetricsService)));
  const bodyLimit = config.limits?.bodyLimitBytes ?? JSON_BODY_LIMIT;
  app.useBodyParser('json', { limit: bodyLimit });
  app.useBodyParser('text', { type: YAML_TYPES, limit: bodyLimit });
  app.use(yamlBodyMiddleware);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  // /ws speaks its own protocol (stream/stream-protocol.ts): the gateway reads every frame itself,
  // so Nest's {event, data} parser is switched off.
  app.useWebSocketAdapter(new WsAdapter(app, { messageParser: () => undefined }));
  setupOpenApi(app, config.version);
  return app;
}
