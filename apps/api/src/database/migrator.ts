import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';

/** The lock id `prisma migrate` itself takes, so this migrator and Prisma's exclude each other. */
export const PRISMA_MIGRATE_LOCK_ID = 72707369;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

interface Logger {
  log(message: string): void;
  warn(message: string): void;
}

/** The table `prisma migrate deploy` keeps, column for column. */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface LocalMigration {
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir: string): LocalMigration[] {
  if (!existsSync(dir)) throw new MigrationError(`Migrations folder ${dir} does not exist`);
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/**
 * Applies pending migrations from `dir` exactly as `prisma migrate deploy` records them in
 * `_prisma_migrations` (same columns, sha256 of migration.sql), one transaction per migration,
 * under Prisma's own advisory lock. Refuses to continue when an applied migration was edited.
 */
export async function migrate(databaseUrl: string, dir: string, logger: Logger = console): Promise<MigrationResult> {
  const migrations = readMigrations(dir);
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_ID]);
    try {
      await client.query(CREATE_TABLE);
      const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null; rolled_back_at: Date | null }>(
        'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
      );
      const live = rows.filter((r) => r.rolled_back_at === null);
      const failed = live.find((r) => r.finished_at === null);
      if (failed) {
        throw new MigrationError(`Migration ${failed.migration_name} started but never finished; inspect the database and mark it rolled back (prisma migrate resolve --rolled-back ${failed.migration_name}) before starting again`);
      }
      const applied = new Map(live.map((r) => [r.migration_name, r.checksum]));
      const local = new Set(migrations.map((m) => m.name));
      for (const name of applied.keys()) {
        if (!local.has(name)) logger.warn(`Migration ${name} is recorded in the database but missing from ${dir}`);
      }

      const result: MigrationResult = { applied: [], alreadyApplied: [] };
      for (const m of migrations) {
        const recorded = applied.get(m.name);
        if (recorded !== undefined) {
          if (recorded !== m.checksum) {
            throw new MigrationError(`Migration ${m.name} was modified after it was applied (checksum in database ${recorded}, on disk ${m.checksum}); restore the original file and put the change in a new migration`);
          }
          result.alreadyApplied.push(m.name);
          continue;
        }
        await applyOne(client, m);
        logger.log(`Applied migration ${m.name}`);
        result.applied.push(m.name);
      }
      return result;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_ID]);
    }
  } finally {
    await client.end();
  }
}

async function applyOne(client: Client, m: LocalMigration): Promise<void> {
  const id = randomUUID();
  await client.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)', [id, m.checksum, m.name]);
  try {
    await client.query('BEGIN');
    await client.query(m.sql);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    // The transaction rolled back, so nothing of it is applied: record that, as
    // `prisma migrate resolve --rolled-back` would, so a fixed migration can be retried.
    await client.query('UPDATE "_prisma_migrations" SET logs = $2, rolled_back_at = now() WHERE id = $1', [id, String((err as Error).message)]);
    throw new MigrationError(`Migration ${m.name} failed and was rolled back: ${(err as Error).message}`);
  }
  await client.query('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1', [id]);
}

export const MIGRATIONS_DIR = join(__dirname, '../../../../prisma/migrations');
