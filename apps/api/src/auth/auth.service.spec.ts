import { AppConfig } from '../config/app-config';
import { EnvDto } from '../config/env.dto';
import { CryptoService } from '../crypto/crypto.service';
import type { AuthRepository, TokenChangeHandlers } from './auth.repository';
import { AuthService } from './auth.service';

/**
 * An in-memory token table standing in for AuthRepository; counts reads. `feed: 'server'` gives a
 * change feed the test drives (as LISTEN/NOTIFY does), `'embedded'` none (one process per database).
 */
function setup(authCacheMs: number, feed: 'server' | 'embedded' = 'embedded') {
  const config = Object.assign(new AppConfig(), { secretKey: Buffer.alloc(32, 9), authCacheMs });
  const crypto = new CryptoService(config);
  const secret = crypto.generateToken();
  const row = { id: 't1', teamId: 'team', role: 'admin' as const, hash: crypto.hashToken(secret), deployments: [], revokedAt: null as Date | null, expiresAt: null as Date | null, lastUsedAt: new Date() };
  const repo = {
    reads: 0,
    findTokenByHash: async (hash: string) => {
      repo.reads++;
      return hash === row.hash ? { ...row } : null;
    },
    touchToken: async () => undefined,
    handlers: undefined as TokenChangeHandlers | undefined,
    closed: false,
    watchTokenChanges: (handlers: TokenChangeHandlers) => {
      if (feed === 'embedded') return undefined;
      repo.handlers = handlers;
      return { close: async () => void (repo.closed = true) };
    },
  };
  const auth = new AuthService(repo as unknown as AuthRepository, crypto, config);
  auth.onModuleInit();
  return { auth, repo, row, secret, feed: () => repo.handlers! };
}

const at = (ms: number) => new Date(Date.UTC(2026, 10, 27) + ms);

describe('AuthService token cache (BERTH_AUTH_CACHE_MS)', () => {
  it('is on by default (30 s)', () => {
    expect(new EnvDto().BERTH_AUTH_CACHE_MS).toBe(30_000);
  });

  it('when 0: every request reads the token, so a revoke is seen at once', async () => {
    const { auth, repo, row, secret } = setup(0);
    await auth.authenticate(secret, at(0));
    await auth.authenticate(secret, at(1));
    expect(repo.reads).toBe(2);
    row.revokedAt = at(2);
    await expect(auth.authenticate(secret, at(3))).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: 'Token has been revoked' });
  });

  it('when on, reuses a validated token for the configured time, then reads it again', async () => {
    const { auth, repo, row, secret } = setup(5000);
    row.lastUsedAt = at(0);
    expect(await auth.authenticate(secret, at(0))).toEqual({ tokenId: 't1', teamId: 'team', role: 'admin', deployments: [] });
    await auth.authenticate(secret, at(4999));
    expect(repo.reads).toBe(1);
    row.revokedAt = at(5000);
    await expect(auth.authenticate(secret, at(5000))).rejects.toMatchObject({ message: 'Token has been revoked' });
    expect(repo.reads).toBe(2);
    await expect(auth.authenticate(secret, at(5001))).rejects.toMatchObject({ message: 'Token has been revoked' });
    expect(repo.reads).toBe(3); // revoked tokens are never cached
  });

  it('forget() makes this process read the token again at once (revoke)', async () => {
    const { auth, repo, row, secret } = setup(60_000);
    await auth.authenticate(secret, at(0));
    row.revokedAt = at(1);
    auth.forget('t1');
    await expect(auth.authenticate(secret, at(2))).rejects.toMatchObject({ message: 'Token has been revoked' });
    expect(repo.reads).toBe(2);
  });

  it('still enforces expiry on every request, and never caches unknown tokens', async () => {
    const { auth, repo, row, secret } = setup(60_000);
    row.expiresAt = at(1000);
    await auth.authenticate(secret, at(0));
    await expect(auth.authenticate(secret, at(1000))).rejects.toMatchObject({ message: 'Token has expired' });
    expect(repo.reads).toBe(1);
    await expect(auth.authenticate('brt_unknown', at(0))).rejects.toMatchObject({ message: 'Invalid bearer token' });
    await expect(auth.authenticate('brt_unknown', at(1))).rejects.toMatchObject({ message: 'Invalid bearer token' });
    expect(repo.reads).toBe(3);
  });
});

describe('AuthService token cache with a database server (LISTEN/NOTIFY feed)', () => {
  it('reads the database on every request until the feed is listening, then caches', async () => {
    const { auth, repo, secret, feed } = setup(30_000, 'server');
    await auth.authenticate(secret, at(0));
    await auth.authenticate(secret, at(1));
    expect(repo.reads).toBe(2);
    feed().live(true);
    await auth.authenticate(secret, at(2));
    await auth.authenticate(secret, at(3));
    expect(repo.reads).toBe(3);
  });

  it('a change announced by the database (another process, or by hand) takes effect on the next request', async () => {
    const { auth, repo, row, secret, feed } = setup(30_000, 'server');
    feed().live(true);
    await auth.authenticate(secret, at(0));
    row.role = 'viewer' as never;
    feed().change({ id: 't1', revoked: false });
    expect(await auth.authenticate(secret, at(1))).toMatchObject({ role: 'viewer' });
    expect(repo.reads).toBe(2);
  });

  it('an announced revoke rejects the token at once and tells the revoke listeners (closing its /ws sockets)', async () => {
    const { auth, row, secret, feed } = setup(30_000, 'server');
    const told: string[] = [];
    auth.onRevoked((id) => told.push(id));
    feed().live(true);
    await auth.authenticate(secret, at(0));
    row.revokedAt = at(1);
    feed().change({ id: 't1', revoked: true });
    expect(told).toEqual(['t1']);
    await expect(auth.authenticate(secret, at(2))).rejects.toMatchObject({ message: 'Token has been revoked' });
  });

  it('"all" (TRUNCATE, or an unreadable payload) drops every cached token', async () => {
    const { auth, repo, secret, feed } = setup(30_000, 'server');
    feed().live(true);
    await auth.authenticate(secret, at(0));
    feed().change({ all: true });
    await auth.authenticate(secret, at(1));
    expect(repo.reads).toBe(2);
  });

  it('while the feed is down, every request reads the database; when it is back, it starts from an empty cache', async () => {
    const { auth, repo, row, secret, feed } = setup(30_000, 'server');
    feed().live(true);
    await auth.authenticate(secret, at(0));
    feed().live(false);
    row.revokedAt = at(1); // revoked while nothing was listening: never announced
    await expect(auth.authenticate(secret, at(2))).rejects.toMatchObject({ message: 'Token has been revoked' });
    row.revokedAt = null;
    await auth.authenticate(secret, at(3));
    expect(repo.reads).toBe(3);
    feed().live(true);
    await auth.authenticate(secret, at(4));
    await auth.authenticate(secret, at(5));
    expect(repo.reads).toBe(4);
  });

  it('does not keep a row read while an invalidation arrived (it may be the old version)', async () => {
    const { auth, repo, secret, feed } = setup(30_000, 'server');
    feed().live(true);
    const read = repo.findTokenByHash;
    repo.findTokenByHash = async (hash: string) => {
      const r = await read(hash);
      feed().change({ id: 't1', revoked: false }); // arrives while the read is in flight
      return r;
    };
    await auth.authenticate(secret, at(0));
    repo.findTokenByHash = read;
    await auth.authenticate(secret, at(1));
    expect(repo.reads).toBe(2);
  });

  it('still checks expiry on every request, and closes the feed on shutdown', async () => {
    const { auth, repo, row, secret, feed } = setup(30_000, 'server');
    feed().live(true);
    row.expiresAt = at(1000);
    await auth.authenticate(secret, at(0));
    await expect(auth.authenticate(secret, at(1000))).rejects.toMatchObject({ message: 'Token has expired' });
    expect(repo.reads).toBe(1);
    await auth.onModuleDestroy();
    expect(repo.closed).toBe(true);
  });

  it('is not started at all when BERTH_AUTH_CACHE_MS=0', () => {
    const { repo } = setup(0, 'server');
    expect(repo.handlers).toBeUndefined();
  });
});
