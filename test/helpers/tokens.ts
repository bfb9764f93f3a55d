import { randomUUID } from 'node:crypto';
import { AppConfig } from '../../apps/api/src/config/app-config';
import { CryptoService } from '../../apps/api/src/crypto/crypto.service';
import { TEST_SECRET_KEY } from './app';
import { query } from './database';

const crypto = new CryptoService(Object.assign(new AppConfig(), { secretKey: Buffer.from(TEST_SECRET_KEY, 'hex') }));

export interface TeamToken {
  token: string;
  tokenId: string;
  teamId: string;
}

/**
 * Creates (or reuses) a team by name and a token of the given role in it, straight in the test
 * app's database, hashed exactly as the API hashes tokens. A shortcut for suites that need other
 * teams' tokens; test/access-control.e2e-spec.ts covers the /teams API itself.
 */
export async function createTeamToken(databaseUrl: string, team: string, role: 'owner' | 'admin' | 'deployer' | 'viewer' = 'admin', deployments: string[] = []): Promise<TeamToken> {
  const [row] = await query<{ id: string }>(
    databaseUrl,
    'INSERT INTO teams (id, name, updated_at) VALUES ($1, $2, now()) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id',
    [randomUUID(), team],
  );
  const token = crypto.generateToken();
  const tokenId = randomUUID();
  await query(databaseUrl, 'INSERT INTO api_tokens (id, team_id, name, role, prefix, hash, deployments) VALUES ($1, $2, $3, $4::"TokenRole", $5, $6, $7)', [
    tokenId,
    row.id,
    `${team}-${role}`,
    role,
    token.slice(0, 12),
    crypto.hashToken(token),
    deployments,
  ]);
  return { token, tokenId, teamId: row.id };
}

/** The team id of the bootstrap owner token ("default" team). */
export async function defaultTeamId(databaseUrl: string): Promise<string> {
  const [row] = await query<{ id: string }>(databaseUrl, "SELECT id FROM teams WHERE name = 'default'");
  return row.id;
}
