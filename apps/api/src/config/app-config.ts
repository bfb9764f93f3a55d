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
}
