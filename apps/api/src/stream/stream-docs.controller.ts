import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { stringify } from 'yaml';
import { Public } from '../auth/auth.decorators';
import { AppConfig } from '../config/app-config';
import { buildAsyncApiDocument } from './stream-asyncapi';

/** The /ws protocol's AsyncAPI 3 document, next to the OpenAPI one (/docs-json), without a token like /docs. */
@Public()
@ApiExcludeController()
@Controller()
export class StreamDocsController {
  private readonly document: Record<string, unknown>;

  constructor(@Inject(AppConfig) config: AppConfig) {
    this.document = buildAsyncApiDocument(config.version);
  }

  @Get('docs-asyncapi')
  json(): Record<string, unknown> {
    return this.document;
  }

  @Get('docs-asyncapi.yaml')
  @Header('Content-Type', 'application/yaml; charset=utf-8')
  yaml(): string {
    return stringify(this.document);
  }
}
