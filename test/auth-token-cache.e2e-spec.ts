import { auth, startTestApp, TestApp } from './helpers/app';
import { query } from './helpers/database';
import { createTeamToken } from './helpers/tokens';
import { waitFor } from './helpers/wait';

/**
 * The token cache (on by default, BERTH_AUTH_CACHE_MS) across processes: two API instances on one
 * database, each with its own cache and its own LISTEN connection. A token changed in the database
 * by hand — not through either API — must stop working in both without waiting for the cache
 * to expire (30 s, far longer than these waits).
 */
describe('Token cache invalidation across API processes (LISTEN/NOTIFY)', () => {
  let a: TestApp;
  let b: TestApp;

  const listeners = async (databaseUrl: string) =>
    Number(
      (
        await query<{ n: string }>(
          databaseUrl,
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'berth-token-changes' AND query IN ('LISTEN berth_api_tokens', 'SELECT 1')",
        )
      )[0].n,
    );

  beforeAll(async () => {
    a = await startTestApp();
    b = await startTestApp({ env: { DATABASE_URL: a.databaseUrl, BERTH_BOOTSTRAP_TOKEN: a.token } });
    await waitFor(async () => (await listeners(a.databaseUrl)) === 2, { timeoutMs: 10_000, what: 'both API instances to LISTEN for token changes' });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const status = async (t: TestApp, token: string) => (await t.http.get('/system').set(auth(token))).status;

  it('a token revoked in the database by hand is refused by every instance that had it cached', async () => {
    const viewer = await createTeamToken(a.databaseUrl, 'cache-revoke', 'viewer');
    expect(await status(a, viewer.token)).toBe(200);
    expect(await status(b, viewer.token)).toBe(200);

    await query(a.databaseUrl, 'UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [viewer.tokenId]);

    await waitFor(async () => (await status(a, viewer.token)) === 401, { timeoutMs: 5000, what: 'instance A to refuse the revoked token' });
    await waitFor(async () => (await status(b, viewer.token)) === 401, { timeoutMs: 5000, what: 'instance B to refuse the revoked token' });
  });

  it('a deleted token and a changed expiry are seen too', async () => {
    const deleted = await createTeamToken(a.databaseUrl, 'cache-delete', 'viewer');
    const expiring = await createTeamToken(a.databaseUrl, 'cache-expire', 'viewer');
    expect(await status(b, deleted.token)).toBe(200);
    expect(await status(b, expiring.token)).toBe(200);

    await query(a.databaseUrl, 'DELETE FROM api_tokens WHERE id = $1', [deleted.tokenId]);
    await query(a.databaseUrl, "UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1", [expiring.tokenId]);

    await waitFor(async () => (await status(b, deleted.token)) === 401, { timeoutMs: 5000, what: 'B to refuse the deleted token' });
    await waitFor(async () => (await status(b, expiring.token)) === 401, { timeoutMs: 5000, what: 'B to refuse the expired token' });
  });

  it('when the listening connection is lost, revokes still take effect, and the instance listens again', async () => {
    const viewer = await createTeamToken(a.databaseUrl, 'cache-reconnect', 'viewer');
    expect(await status(b, viewer.token)).toBe(200);
    await query(a.databaseUrl, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'berth-token-changes'");
    await query(a.databaseUrl, 'UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [viewer.tokenId]);
    await waitFor(async () => (await status(b, viewer.token)) === 401, { timeoutMs: 5000, what: 'B to refuse the token revoked while its feed was down' });
    await waitFor(async () => (await listeners(a.databaseUrl)) === 2, { timeoutMs: 20_000, what: 'both instances to LISTEN again' });

    const next = await createTeamToken(a.databaseUrl, 'cache-reconnect-2', 'viewer');
    expect(await status(b, next.token)).toBe(200);
    await query(a.databaseUrl, 'UPDATE api_tokens SET revoked_at = now() WHERE id = $1', [next.tokenId]);
    await waitFor(async () => (await status(b, next.token)) === 401, { timeoutMs: 5000, what: 'B to refuse a token revoked after it reconnected' });
  });
});
