import { Inject, Injectable } from '@nestjs/common';
import { AuthService } from '../auth/auth.service';
import { isOwner, ROLE_RANK } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { CryptoService, TOKEN_PREFIX } from '../crypto/crypto.service';
import type { ApiToken, Team } from '../generated/prisma/client';
import type { TeamCreateDto, TeamUpdateDto } from './dto/team.dto';
import type { TokenCreateDto } from './dto/token.dto';
import { TeamsRepository } from './teams.repository';

/**
 * Teams and their tokens. The owner manages teams; a team's admins manage its tokens. Another
 * team's objects are reported as not found, never as forbidden, so their ids do not leak.
 */
@Injectable()
export class TeamsService {
  constructor(
    @Inject(TeamsRepository) private readonly repo: TeamsRepository,
    @Inject(CryptoService) private readonly crypto: CryptoService,
    @Inject(AuthService) private readonly auth: AuthService,
  ) {}

  create(dto: TeamCreateDto): Promise<Team> {
    return this.repo.createTeam(dto.name);
  }

  /** The owner sees every team; anyone else their own. */
  list(principal: Principal): Promise<Team[]> {
    return this.repo.listTeams(isOwner(principal) ? undefined : principal.teamId);
  }

  async get(principal: Principal, id: string): Promise<Team> {
    const team = isOwner(principal) || id === principal.teamId ? await this.repo.findTeam(id) : null;
    if (!team) throw DomainError.notFound('Team', id);
    return team;
  }

  async rename(principal: Principal, id: string, dto: TeamUpdateDto): Promise<Team> {
    await this.get(principal, id);
    return this.repo.renameTeam(id, dto.name);
  }

  /** Refused while the team has deployments (delete them first) or holds an owner token. */
  async remove(principal: Principal, id: string): Promise<void> {
    await this.get(principal, id);
    const holdings = await this.repo.teamHoldings(id);
    if (holdings.ownerTokens > 0) throw new DomainError('CONFLICT', 'This team holds an owner token; it cannot be deleted');
    if (holdings.deployments > 0) throw new DomainError('CONFLICT', `This team still has ${holdings.deployments} deployment(s); delete them first`);
    await this.repo.deleteTeam(id);
  }

  /**
   * Mints a token and returns its secret once. A caller can hand out at most its own role, and
   * only an owner can mint an owner token.
   */
  async createToken(principal: Principal, teamId: string, dto: TokenCreateDto, now = new Date()): Promise<{ token: ApiToken; secret: string }> {
    await this.get(principal, teamId);
    if (ROLE_RANK[dto.role] > ROLE_RANK[principal.role] || (dto.role === 'owner' && !isOwner(principal))) {
      throw new DomainError('FORBIDDEN', `A ${principal.role} token cannot create a ${dto.role} token`, [{ field: 'role', rule: `max:${principal.role}`, message: `role must be at most ${principal.role}` }]);
    }
    const expiresAt = dto.expiresAt ? new Date(dto.expiresAt) : undefined;
    if (expiresAt && expiresAt <= now) {
      throw new DomainError('VALIDATION_FAILED', 'expiresAt must be in the future', [{ field: 'expiresAt', rule: 'future', message: 'expiresAt must be in the future' }]);
    }
    const secret = this.crypto.generateToken();
    const token = await this.repo.createToken({
      teamId,
      name: dto.name,
      role: dto.role,
      hash: this.crypto.hashToken(secret),
      prefix: secret.slice(0, TOKEN_PREFIX.length + 8),
      expiresAt,
      deployments: [...new Set(dto.deployments ?? [])],
    });
    return { token, secret };
  }

  async listTokens(principal: Principal, teamId: string): Promise<ApiToken[]> {
    await this.get(principal, teamId);
    return this.repo.listTokens(teamId);
  }

  /**
   * Revokes a token at once: its next request fails, and its open /ws sockets are closed. A caller
   * cannot revoke a token of a higher role than its own.
   */
  async revokeToken(principal: Principal, teamId: string, tokenId: string): Promise<ApiToken> {
    await this.get(principal, teamId);
    const token = await this.repo.findToken(teamId, tokenId);
    if (!token) throw DomainError.notFound('Token', tokenId);
    if (ROLE_RANK[token.role] > ROLE_RANK[principal.role]) throw new DomainError('FORBIDDEN', `A ${principal.role} token cannot revoke a ${token.role} token`);
    const revoked = await this.repo.revokeToken(tokenId, new Date());
    this.auth.revoked(tokenId);
    return revoked;
  }
}
