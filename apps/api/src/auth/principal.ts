import type { TokenRole } from '../generated/prisma/enums';

/** Who is calling: resolved from the bearer token by AuthGuard and attached to the request. */
export interface Principal {
  tokenId: string;
  teamId: string;
  role: TokenRole;
  /** Deployment names the token is narrowed to; empty means all of the team's. */
  deployments: string[];
}
