import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, MIGRATIONS_DIR, readMigrations } from '../apps/api/src/database/migrator';
import { createTestDatabase, query, TestDatabase } from './helpers/database';
import { newBootstrapToken, TEST_SECRET_KEY } from './helpers/app';
import { spawnApi } from './helpers/process';

const quiet = { log: () => undefined, warn: () => undefined };

describe('Migrator (real Postgres)', () => {
  let db: TestDatabase;
  let dir: string;
  beforeEach(async () => {
    db = await createTestDatabase();
    dir = mkdtempSync(join(tmpdir(), 'berth-migrations-'));
    cpSync(MIGRATIONS_DIR, dir, { recursive: true });
  });
  afterEach(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies every migration to an empty database and records it as prisma migrate deploy does', async () => {
    const local = readMigrations(dir);
    const result = await migrate(db.url, dir, quiet);
    expect(result.applied).toEqual(local.map((m) => m.name));
    const rows = await query(db.url, 'SELECT * FROM _prisma_migrations ORDER BY migration_name');
    expect(rows).toHaveLength(local.length);
    for (const [i, row] of rows.entries()) {
      const sql = readFileSync(join(dir, local[i].name, 'migration.sql'));
      expect(row.migration_name).toBe(local[i].name);
      expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    const columns = await query(db.url, "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position");
    expect(columns.map((c) => `${c.column_name}:${c.data_type}:${c.is_nullable}`)).toEqual([
      'id:character varying:NO',
      'checksum:character varying:NO',
      'finished_at:timestamp with time zone:YES',
      'migration_name:character varying:NO',
      'logs:text:YES',
      'rolled_back_at:timestamp with time zone:YES',
      'started_at:timestamp with time zone:NO',
      'applied_steps_count:integer:NO',
    ]);
    const tables = await query(db.url, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1");
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining(['teams', 'api_tokens', 'registries', 'deployments', 'deployment_revisions', 'operations', 'operation_steps', 'events', 'audit_entries']),
    );
  });

  it('is a no-op the second time', async () => {
    await migrate(db.url, dir, quiet);
    const before = await query(db.url, 'SELECT id, finished_at FROM _prisma_migrations ORDER BY id');
    const again = await migrate(db.url, dir, quiet);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toHaveLength(before.length);
    expect(await query(db.url, 'SELECT id, finished_at FROM _prisma_migrations ORDER BY id')).toEqual(before);
  });

  it('refuses an applied migration that was edited afterwards, and changes nothing', async () => {
    await migrate(db.url, dir, quiet);
    const [first] = readMigrations(dir);
    writeFileSync(join(dir, first.name, 'migration.sql'), first.sql + '\nCREATE TABLE sneaky (id int);\n');
    await expect(migrate(db.url, dir, quiet)).rejects.toThrow(new RegExp(`Migration ${first.name} was modified after it was applied`));
    expect(await query(db.url, "SELECT to_regclass('public.sneaky') AS t")).toEqual([{ t: null }]);
  });

  it('applies a new migration after the applied ones, and rolls back a failing one cleanly', async () => {
    await migrate(db.url, dir, quiet);
    const good = join(dir, '29990101000000_add_table');
    cpSync(join(dir, readMigrations(dir)[0].name), good, { recursive: true });
    writeFileSync(join(good, 'migration.sql'), 'CREATE TABLE "later" ("id" INTEGER NOT NULL);\n');
    expect((await migrate(db.url, dir, quiet)).applied).toEqual(['29990101000000_add_table']);

    const bad = join(dir, '29990102000000_broken');
    cpSync(good, bad, { recursive: true });
    writeFileSync(join(bad, 'migration.sql'), 'CREATE TABLE "half" ("id" INTEGER);\nSELECT no_such_function();\n');
    await expect(migrate(db.url, dir, quiet)).rejects.toThrow(/29990102000000_broken failed and was rolled back/);
    expect(await query(db.url, "SELECT to_regclass('public.half') AS t")).toEqual([{ t: null }]);
    const [row] = await query(db.url, "SELECT rolled_back_at, logs FROM _prisma_migrations WHERE migration_name = '29990102000000_broken'");
    expect(row.rolled_back_at).toBeInstanceOf(Date);
    expect(row.logs).toContain('no_such_function');

    // Fixed, it applies on the next run.
    writeFileSync(join(bad, 'migration.sql'), 'CREATE TABLE "half" ("id" INTEGER);\n');
    expect((await migrate(db.url, dir, quiet)).applied).toEqual(['29990102000000_broken']);
  });

  it('two API processes starting at once apply each migration exactly once and bootstrap one token', async () => {
    const token = newBootstrapToken();
    const env = { DATABASE_URL: db.url, BERTH_SECRET_KEY: TEST_SECRET_KEY, BERTH_BOOTSTRAP_TOKEN: token, BERTH_DATA_DIR: dir };
    const [a, b] = await Promise.all([spawnApi(env), spawnApi(env)]);
    try {
      const rows = await query(db.url, 'SELECT migration_name, count(*)::int AS n FROM _prisma_migrations WHERE rolled_back_at IS NULL GROUP BY 1');
      expect(rows.map((r) => r.n)).toEqual(readMigrations(MIGRATIONS_DIR).map(() => 1));
      expect(rows).toHaveLength(readMigrations(MIGRATIONS_DIR).length);
      expect(await query(db.url, 'SELECT count(*)::int AS n FROM api_tokens')).toEqual([{ n: 1 }]);
      for (const p of [a, b]) {
        const res = await fetch(`${p.url}/system`, { headers: { Authorization: `Bearer ${token}` } });
        expect(res.status).toBe(200);
      }
      expect([a.output(), b.output()].filter((o) => o.includes('Applied migration'))).toHaveLength(1);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('refuses to start the API when an applied migration was edited, with a clear message', async () => {
    await migrate(db.url, dir, quiet);
    const [first] = readMigrations(dir);
    const migrationsCopy = mkdtempSync(join(tmpdir(), 'berth-m2-'));
    try {
      // The API reads prisma/migrations; simulate the edit by changing the recorded checksum instead.
      await query(db.url, "UPDATE _prisma_migrations SET checksum = repeat('0', 64) WHERE migration_name = $1", [first.name]);
      const api = await spawnApi({ DATABASE_URL: db.url, BERTH_SECRET_KEY: TEST_SECRET_KEY, BERTH_DATA_DIR: migrationsCopy }, { waitForListen: false });
      expect(await api.exited).toBe(1);
      expect(api.output()).toContain(`Migration ${first.name} was modified after it was applied`);
    } finally {
      rmSync(migrationsCopy, { recursive: true, force: true });
    }
  });
});
