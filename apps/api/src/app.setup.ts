import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { HttpErrorFilter } from './common/http-error.filter';
import { createValidationPipe } from './common/validation';
import { MetricsService } from './metrics/metrics.service';
import { httpMetricsMiddleware } from './metrics/metrics.middleware';
import { setupOpenApi } from './openapi';
import { YAML_TYPES, yamlBodyMiddleware } from './common/yaml-body';

export const JSON_BODY_LIMIT = '1mb';

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
  if (!options.preview) app.use(httpMetricsMiddleware(app.get(MetricsService)));
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  app.useBodyParser('text', { type: YAML_TYPES, limit: JSON_BODY_LIMIT });
  app.use(yamlBodyMiddleware);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter());
  // /ws speaks its own protocol (stream/stream-protocol.ts): the gateway reads every frame itself,
  // so Nest's {event, data} parser is switched off.
  app.useWebSocketAdapter(new WsAdapter(app, { messageParser: () => undefined }));
  setupOpenApi(app, config.version);
  return app;
}
