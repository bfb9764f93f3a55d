import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorResponseDto } from './common/error-response.dto';

const ERROR_RESPONSE = {
  description: 'Error (the one error shape of every route)',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponseDto' } } },
};

export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Berth API')
    .setDescription('A Docker host behind typed REST endpoints and a WebSocket event stream. Every route except /health/* and /docs* needs `Authorization: Bearer <token>`.')
    .setVersion(version)
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API token (brt_…)' })
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ErrorResponseDto] });
  // Every operation may fail with the common error shape; say so once, here, for all of them.
  for (const item of Object.values(document.paths)) {
    for (const op of Object.values(item)) {
      if (op && typeof op === 'object' && 'responses' in op) {
        op.responses['4XX'] ??= ERROR_RESPONSE;
        op.responses['5XX'] ??= ERROR_RESPONSE;
      }
    }
  }
  return document;
}

export function setupOpenApi(app: INestApplication, version: string): void {
  const document = buildOpenApiDocument(app, version);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}
