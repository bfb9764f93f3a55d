#!/usr/bin/env node
// Runs `prisma generate` without downloading Prisma's schema engine: generating the client
// needs no engine, so any existing file satisfies the CLI's check (see docs/migrations.md).
const { spawnSync } = require('node:child_process');
const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' };
const result = spawnSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', '--no-hints'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
