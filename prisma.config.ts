import { defineConfig } from 'prisma/config';

// Prisma 7 reads its settings from here. The API does not use this file at run time:
// it builds its own driver adapter (see apps/api/src/database). The URL below only matters
// for Prisma CLI commands such as `prisma migrate status` where the schema engine exists.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/berth' },
});
