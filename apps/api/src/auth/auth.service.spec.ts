import { AppConfig } from '../config/app-config';
import { CryptoService } from '../crypto/crypto.service';
import type { AuthRepository } from './auth.repository';
import { AuthService } from './auth.service';

/** An in-memory token table standing in for AuthRepository; counts reads. */
function setup(authCacheMs: number) {
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
  };
  const auth = new AuthService(repo as unknown as AuthRepository, crypto, config);
  return { auth, repo, row, secret };
}

const at = (ms: number) => new Date(Date.UTC(2026, 10, 27) + ms);

describe('AuthService token cache (BERTH_AUTH_CACHE_MS)', () => {
  it('is off by default: every request reads the token, so a revoke is seen at once', async () => {
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
