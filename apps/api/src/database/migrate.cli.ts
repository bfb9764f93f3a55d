import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '../config/load-config';
import { DatabaseConnection } from './database-connection';

/** `npm run db:migrate`: apply pending migrations to DATABASE_URL (or the embedded database) and exit. */
async function main(): Promise<void> {
  const config = loadConfig();
  config.database.migrateOnStart = true;
  const connection = await DatabaseConnection.open(config);
  await connection.close();
  new Logger('Migrate').log('Database is up to date');
}

main().catch((err) => {
  process.stderr.write(`${err instanceof ConfigError ? '' : 'Migration failed: '}${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
