import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { AppConfig } from './app-config';
import { ENV_KEYS, EnvDto } from './env.dto';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function firstProblem(errors: ValidationError[]): string {
  const e = errors[0];
  // class-validator lists constraints last-decorator-first; report them in declaration order.
  const messages = Object.values(e.constraints ?? {}).reverse();
  const detail = messages.map((m) => m.replace(new RegExp(`^${e.property} `), '')).join(', ') || 'is invalid';
  return `${e.property} ${detail}`;
}

function decodeKey(value: string): Buffer {
  return /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
}

/** In development only: a key generated once and kept beside the embedded database. */
function dataDirKey(dataDir: string): Buffer {
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return decodeKey(readFileSync(file, 'utf8').trim());
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

function packageVersion(): string {
  try {
    return JSON.parse(readFileSync(resolve(__dirname, '../../../../package.json'), 'utf8')).version;
  } catch {
    try {
      return JSON.parse(readFileSync(resolve(process.cwd(), 'package.json'), 'utf8')).version;
    } catch {
      return '0.0.0';
    }
  }
}

/**
 * Validates the environment and builds AppConfig. Throws ConfigError with one line naming the
 * offending variable; main.ts prints it and exits.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const key of ENV_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const dto = plainToInstance(EnvDto, raw);
  const errors = validateSync(dto, { forbidUnknownValues: false });
  if (errors.length) throw new ConfigError(`Invalid configuration: ${firstProblem(errors)}`);

  const dataDir = resolve(dto.BERTH_DATA_DIR);
  let secretKey: Buffer;
  let secretKeySource: AppConfig['secretKeySource'];
  if (dto.BERTH_SECRET_KEY) {
    secretKey = decodeKey(dto.BERTH_SECRET_KEY);
    secretKeySource = 'env';
  } else if (dto.NODE_ENV === 'production') {
    throw new ConfigError('Invalid configuration: BERTH_SECRET_KEY is required when NODE_ENV=production (32 bytes, hex or base64; e.g. `openssl rand -hex 32`)');
  } else {
    secretKey = dataDirKey(dataDir);
    secretKeySource = 'data-dir';
  }
  if (dto.DOCKER_TLS_VERIFY && !dto.DOCKER_CERT_PATH) {
    throw new ConfigError('Invalid configuration: DOCKER_CERT_PATH is required when DOCKER_TLS_VERIFY=1');
  }

  const config = new AppConfig();
  Object.assign(config, {
    env: dto.NODE_ENV,
    host: dto.HOST,
    port: dto.PORT,
    version: packageVersion(),
    database: {
      mode: dto.DATABASE_URL ? 'server' : 'embedded',
      url: dto.DATABASE_URL,
      dataDir,
      poolSize: dto.DATABASE_POOL_SIZE,
      migrateOnStart: dto.BERTH_MIGRATE_ON_START,
    },
    docker: { host: dto.DOCKER_HOST, tlsVerify: dto.DOCKER_TLS_VERIFY, certPath: dto.DOCKER_CERT_PATH, timeoutMs: dto.BERTH_DOCKER_TIMEOUT_MS },
    logLevel: dto.LOG_LEVEL,
    bootstrapToken: dto.BERTH_BOOTSTRAP_TOKEN,
    secretKey,
    secretKeySource,
    shutdownTimeoutMs: dto.BERTH_SHUTDOWN_TIMEOUT_MS,
    authCacheMs: dto.BERTH_AUTH_CACHE_MS,
    resyncIntervalMs: dto.BERTH_RESYNC_INTERVAL_MS,
    eventRetentionHours: dto.BERTH_EVENT_RETENTION_HOURS,
    stream: {
      sendBufferBytes: dto.BERTH_WS_SEND_BUFFER_BYTES,
      maxSubscriptions: dto.BERTH_WS_MAX_SUBSCRIPTIONS,
      maxSocketsPerToken: dto.BERTH_WS_MAX_SOCKETS_PER_TOKEN,
      heartbeatMs: dto.BERTH_WS_HEARTBEAT_MS,
      authTimeoutMs: dto.BERTH_WS_AUTH_TIMEOUT_MS,
    },
    buildContextMaxBytes: dto.BERTH_BUILD_CONTEXT_MAX_MB * 1024 * 1024,
    limits: {
      rateWindowMs: dto.BERTH_RATE_LIMIT_WINDOW_MS,
      readsPerWindow: dto.BERTH_RATE_LIMIT_READS,
      writesPerWindow: dto.BERTH_RATE_LIMIT_WRITES,
      bodyLimitBytes: dto.BERTH_BODY_LIMIT_BYTES,
      maxActiveOperationsPerTeam: dto.BERTH_MAX_ACTIVE_OPERATIONS_PER_TEAM,
    },
  } satisfies AppConfig);
  return config;
}
