import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createApp } from './app.setup';
import { loadConfig } from './config/load-config';
import { buildOpenApiDocument } from './openapi';

/** `npm run openapi`: writes openapi.json from the code, without a database or engine (preview mode). */
async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, NODE_ENV: 'development', BERTH_SECRET_KEY: '0'.repeat(64) });
  const app = await createApp(config, { preview: true });
  const document = buildOpenApiDocument(app, config.version);
  const file = resolve(__dirname, '../../../openapi.json');
  writeFileSync(file, JSON.stringify(document, null, 2) + '\n');
  process.stdout.write(`Wrote ${file}\n`);
  await app.close();
}

void main();
