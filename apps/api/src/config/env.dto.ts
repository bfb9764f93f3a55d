import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));
const toBool = ({ value }: { value: unknown }) => {
  if (value === undefined || value === '') return undefined;
  if (value === true || value === 'true' || value === '1') return true;
  if (value === false || value === 'false' || value === '0') return false;
  return value;
};

/**
 * Every setting Berth reads from the environment. Validated once at start (see load-config.ts);
 * README.md's configuration table documents the same list.
 */
export class EnvDto {
  @IsOptional() @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsOptional() @IsString() @MinLength(1)
  HOST = '127.0.0.1';

  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  @IsOptional() @IsString() @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @IsOptional() @IsString() @MinLength(1)
  BERTH_DATA_DIR = './data';

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  DATABASE_POOL_SIZE = 10;

  @IsOptional() @Transform(toBool) @IsBoolean()
  BERTH_MIGRATE_ON_START = true;

  @IsOptional() @IsString() @Matches(/^(unix:\/\/\/?|tcp:\/\/|npipe:\/\/|http:\/\/|https:\/\/)/, { message: 'DOCKER_HOST must start with unix://, tcp://, http:// or https://' })
  DOCKER_HOST?: string;

  @IsOptional() @Transform(toBool) @IsBoolean()
  DOCKER_TLS_VERIFY = false;

  @IsOptional() @IsString()
  DOCKER_CERT_PATH?: string;

  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  @IsOptional() @IsString() @Matches(/^\S{24,}$/, { message: 'BERTH_BOOTSTRAP_TOKEN must be at least 24 characters without spaces' })
  BERTH_BOOTSTRAP_TOKEN?: string;

  @IsOptional() @IsString() @Matches(/^(?:[A-Za-z0-9+/]{43}=|[0-9a-fA-F]{64})$/, { message: 'BERTH_SECRET_KEY must be 32 bytes, as 64 hex characters or 44 base64 characters' })
  BERTH_SECRET_KEY?: string;

  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  BERTH_SHUTDOWN_TIMEOUT_MS = 10_000;

  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  BERTH_DOCKER_TIMEOUT_MS = 30_000;

  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(60_000)
  BERTH_AUTH_CACHE_MS = 30_000;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1000) @Max(3_600_000)
  BERTH_RESYNC_INTERVAL_MS = 30_000;

  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(87_600)
  BERTH_EVENT_RETENTION_HOURS = 168;

  @IsOptional() @Transform(toInt) @IsInt() @Min(16_384) @Max(268_435_456)
  BERTH_WS_SEND_BUFFER_BYTES = 1_048_576;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(10_000)
  BERTH_WS_MAX_SUBSCRIPTIONS = 64;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100_000)
  BERTH_WS_MAX_SOCKETS_PER_TOKEN = 50;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1000) @Max(600_000)
  BERTH_WS_HEARTBEAT_MS = 30_000;

  @IsOptional() @Transform(toInt) @IsInt() @Min(100) @Max(600_000)
  BERTH_WS_AUTH_TIMEOUT_MS = 5_000;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(10_240)
  BERTH_BUILD_CONTEXT_MAX_MB = 256;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1000) @Max(3_600_000)
  BERTH_RATE_LIMIT_WINDOW_MS = 60_000;

  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(100_000_000)
  BERTH_RATE_LIMIT_READS = 6_000;

  @IsOptional() @Transform(toInt) @IsInt() @Min(0) @Max(100_000_000)
  BERTH_RATE_LIMIT_WRITES = 1_200;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1024) @Max(67_108_864)
  BERTH_BODY_LIMIT_BYTES = 1_048_576;

  @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(100_000)
  BERTH_MAX_ACTIVE_OPERATIONS_PER_TEAM = 100;
}

/** The variables EnvDto reads, in the order README.md lists them. */
export const ENV_KEYS = [
  'NODE_ENV', 'HOST', 'PORT', 'DATABASE_URL', 'BERTH_DATA_DIR', 'DATABASE_POOL_SIZE', 'BERTH_MIGRATE_ON_START',
  'DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH', 'LOG_LEVEL', 'BERTH_BOOTSTRAP_TOKEN', 'BERTH_SECRET_KEY',
  'BERTH_SHUTDOWN_TIMEOUT_MS', 'BERTH_DOCKER_TIMEOUT_MS', 'BERTH_AUTH_CACHE_MS', 'BERTH_RESYNC_INTERVAL_MS', 'BERTH_BUILD_CONTEXT_MAX_MB',
  'BERTH_EVENT_RETENTION_HOURS', 'BERTH_WS_SEND_BUFFER_BYTES', 'BERTH_WS_MAX_SUBSCRIPTIONS', 'BERTH_WS_MAX_SOCKETS_PER_TOKEN',
  'BERTH_WS_HEARTBEAT_MS', 'BERTH_WS_AUTH_TIMEOUT_MS',
  'BERTH_RATE_LIMIT_WINDOW_MS', 'BERTH_RATE_LIMIT_READS', 'BERTH_RATE_LIMIT_WRITES', 'BERTH_BODY_LIMIT_BYTES', 'BERTH_MAX_ACTIVE_OPERATIONS_PER_TEAM',
] as const satisfies readonly (keyof EnvDto)[];
