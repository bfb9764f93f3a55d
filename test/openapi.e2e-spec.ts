import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { startTestApp, TestApp } from './helpers/app';

describe('OpenAPI document', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  it('/docs-json is a valid OpenAPI 3 document', async () => {
    const res = await t.http.get('/docs-json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const api = await SwaggerParser.validate(structuredClone(res.body));
    expect(api.info.title).toBe('Berth API');
  });

  it('documents the common error shape on every operation and bearer auth on every non-public one', async () => {
    const doc = (await t.http.get('/docs-json')).body;
    expect(doc.components.schemas.ErrorResponseDto.required).toEqual(expect.arrayContaining(['statusCode', 'error', 'code', 'message', 'requestId']));
    for (const [path, item] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        expect([path, method, op.responses['4XX']?.content?.['application/json']?.schema?.$ref]).toEqual([path, method, '#/components/schemas/ErrorResponseDto']);
        const isPublic = path.startsWith('/health/');
        expect([path, method, Boolean(op.security?.some((s: any) => 'bearer' in s))]).toEqual([path, method, !isPublic]);
      }
    }
  });

  it('matches the committed openapi.json (run `npm run openapi` after changing routes or DTOs)', async () => {
    const served = (await t.http.get('/docs-json')).body;
    const committed = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8'));
    expect(served).toEqual(committed);
  });

  it('serves the Swagger UI at /docs without a token', async () => {
    const res = await t.http.get('/docs/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger');
  });
});
