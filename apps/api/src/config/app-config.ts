/** The validated, typed configuration every module reads. Built once by loadConfig(). */
export class AppConfig {
  env!: 'development' | 'production' | 'test';
  host!: string;
  port!: number;
  version!: string;
  database!: { mode: 'server' | 'embedded'; url?: string; dataDir: string; poolSize: number; migrateOnStart: boolean };
  docker!: { host?: string; tlsVerify: boolean; certPath?: string; timeoutMs: number };
  logLevel!: string;
  bootstrapToken?: string;
  /** 32-byte key for secrets at rest and token HMACs. */
  secretKey!: Buffer;
  secretKeySource!: 'env' | 'data-dir';
  shutdownTimeoutMs!: number;
  /** How long a validated token may be reused without a database lookup while changes are announced (0 = never; BERTH_AUTH_CACHE_MS). */
  authCacheMs!: number;
  /** Full reconcile of every deployment, as a safety net behind the engine's event stream. */
  resyncIntervalMs!: number;
  /** Hours events stay in the log (0 = forever); resuming from an older sequence is refused. */
  eventRetentionHours!: number;
  /** The /ws endpoint's limits (docs/stream.md). */
  stream!: { sendBufferBytes: number; maxSubscriptions: number; maxSocketsPerToken: number; heartbeatMs: number; authTimeoutMs: number };
  /** Largest build context POST /images/build accepts (BERTH_BUILD_CONTEXT_MAX_MB). */
  buildContextMaxBytes!: number;
  /**
   * Abuse limits (docs/access-control.md, "Abuse limits"): per-token request rates per window
   * (0 = that kind is not limited), the JSON/YAML body limit, and a team's pending+running operations.
   */
  limits!: { rateWindowMs: number; readsPerWindow: number; writesPerWindow: number; bodyLimitBytes: number; maxActiveOperationsPerTeam: number };
}
