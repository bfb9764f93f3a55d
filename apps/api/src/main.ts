import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.setup';
import { ConfigError, loadConfig } from './config/load-config';
import { StreamService } from './stream/stream.service';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const app = await createApp(config);
  const logger = new Logger('Main');
  await app.listen(config.port, config.host);
  const server = app.getHttpServer();
  const address = server.address();
  logger.log(`Berth ${config.version} listening on http://${typeof address === 'object' && address ? `${config.host}:${address.port}` : config.host}`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal} received: no new connections, finishing in-flight requests`);
    const deadline = setTimeout(() => {
      logger.error(`Shutdown took longer than ${config.shutdownTimeoutMs} ms; exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    // Stop accepting and let in-flight requests finish before the database goes away.
    const closed = new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    // Open /ws sockets would keep the server from closing: send them away (1001, resume with since).
    await app.get(StreamService).closeAll();
    await closed;
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`Berth failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
