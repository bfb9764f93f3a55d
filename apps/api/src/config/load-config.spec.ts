import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './load-config';

describe('loadConfig', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'berth-config-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('defaults to loopback, port 3000, embedded database, development', () => {
    const c = loadConfig({ BERTH_DATA_DIR: dataDir });
    expect(c).toMatchObject({ host: '127.0.0.1', port: 3000, env: 'development', logLevel: 'info' });
    expect(c.database.mode).toBe('embedded');
    expect(c.secretKeySource).toBe('data-dir');
    expect(c.secretKey).toHaveLength(32);
  });

  it('keeps a development secret key stable across starts, in a 0600 file', () => {
    const a = loadConfig({ BERTH_DATA_DIR: dataDir });
    const b = loadConfig({ BERTH_DATA_DIR: dataDir });
    expect(a.secretKey.equals(b.secretKey)).toBe(true);
    expect(readFileSync(join(dataDir, 'secret.key'), 'utf8').trim()).toBe(a.secretKey.toString('hex'));
  });

  it('uses server mode when DATABASE_URL is set', () => {
    const c = loadConfig({ BERTH_DATA_DIR: dataDir, DATABASE_URL: 'postgresql://u:p@db:5432/berth' });
    expect(c.database).toMatchObject({ mode: 'server', url: 'postgresql://u:p@db:5432/berth' });
  });

  it.each([
    [{ PORT: 'eighty' }, /^Invalid configuration: PORT /],
    [{ PORT: '70000' }, /^Invalid configuration: PORT must not be greater than 65535$/],
    [{ DATABASE_URL: 'mysql://x' }, /^Invalid configuration: DATABASE_URL must be a postgres/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL /],
    [{ DOCKER_HOST: 'ftp://x' }, /^Invalid configuration: DOCKER_HOST must start with/],
    [{ BERTH_SECRET_KEY: 'short' }, /^Invalid configuration: BERTH_SECRET_KEY must be 32 bytes/],
    [{ NODE_ENV: 'production' }, /^Invalid configuration: BERTH_SECRET_KEY is required when NODE_ENV=production/],
    [{ DOCKER_TLS_VERIFY: '1', DOCKER_HOST: 'tcp://h:2376' }, /^Invalid configuration: DOCKER_CERT_PATH is required/],
    [{ BERTH_MIGRATE_ON_START: 'maybe' }, /^Invalid configuration: BERTH_MIGRATE_ON_START /],
  ])('rejects %j with one line naming the variable', (env, message) => {
    expect(() => loadConfig({ BERTH_DATA_DIR: dataDir, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ BERTH_DATA_DIR: dataDir, ...env })).toThrow(message);
  });

  it('accepts a hex or base64 BERTH_SECRET_KEY', () => {
    expect(loadConfig({ BERTH_DATA_DIR: dataDir, BERTH_SECRET_KEY: 'ab'.repeat(32) }).secretKey).toEqual(Buffer.alloc(32, 0xab));
    expect(loadConfig({ BERTH_DATA_DIR: dataDir, BERTH_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') }).secretKey).toEqual(Buffer.alloc(32, 7));
  });
});
