import { Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { startEmbeddedPostgres } from './embedded-postgres';
import { migrate, MIGRATIONS_DIR } from './migrator';

/** Where the database is, and how to let go of it. Resolved once before any repository exists. */
export class DatabaseConnection {
  constructor(
    readonly url: string,
    readonly mode: 'server' | 'embedded',
    readonly poolSize: number,
    private readonly stopEmbedded?: () => Promise<void>,
  ) {}

  static async open(config: AppConfig): Promise<DatabaseConnection> {
    const logger = new Logger('Database');
    const { database } = config;
    let connection: DatabaseConnection;
    if (database.mode === 'embedded') {
      const embedded = await startEmbeddedPostgres(database.dataDir);
      logger.log(`Embedded Postgres (PGlite) on ${new URL(embedded.url).host}, data in ${database.dataDir}/pg`);
      // PGlite serves one connection at a time.
      connection = new DatabaseConnection(embedded.url, 'embedded', 1, embedded.stop);
    } else {
      connection = new DatabaseConnection(database.url!, 'server', database.poolSize);
    }
    if (database.migrateOnStart) {
      try {
        const result = await migrate(connection.url, MIGRATIONS_DIR, logger);
        logger.log(`Migrations: ${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);
      } catch (err) {
        await connection.close();
        throw err;
      }
    }
    return connection;
  }

  async close(): Promise<void> {
    await this.stopEmbedded?.();
  }
}
