import { Inject, Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import type { ApiToken, Team } from '../generated/prisma/client';
import type { TokenRole } from '../generated/prisma/enums';


@Injectable()
export class TeamsRepository {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  createTeam(name: string): Promise<Team> {
    return this.prisma.team.create({ data: { name } });
  }

  /** `id` undefined: every team. */
  listTeams(id?: string): Promise<Team[]> {
    return this.prisma.team.findMany({ where: id ? { id } : {}, orderBy: { name: 'asc' } });
  }

  findTeam(id: string): Promise<Team | null> {
    return this.prisma.team.findUnique({ where: { id } });
  }

  renameTeam(id: string, name: string): Promise<Team> {
    return this.prisma.team.update({ where: { id }, data: { name } });
  }

  async deleteTeam(id: string): Promise<void> {
    await this.prisma.team.delete({ where: { id } });
  }

  /** What would stop a team from being deleted: live deployments and owner tokens. */
  async teamHoldings(id: string): Promise<{ deployments: number; ownerTokens: number }> {
    const [deployments, ownerTokens] = await Promise.all([
      this.prisma.deployment.count({ where: { teamId: id, deletedAt: null } }),
      this.prisma.apiToken.count({ where: { teamId: id, role: 'owner', revokedAt: null } }),
    ]);
    return { deployments, ownerTokens };
  }

  createToken(data: { teamId: string; name: string; role: TokenRole; hash: string; prefix: string; expiresAt?: Date; deployments: string[] }): Promise<ApiToken> {
    return this.prisma.apiToken.create({ data });
  }

  listTokens(teamId: string): Promise<ApiToken[]> {
    return this.prisma.apiToken.findMany({ where: { teamId }, orderBy: { createdAt: 'asc' } });
  }

  findToken(teamId: string, id: string): Promise<ApiToken | null> {
    return this.prisma.apiToken.findFirst({ where: { id, teamId } });
  }

  /** Sets revokedAt once; a second revoke keeps the first time. */
  async revokeToken(id: string, at: Date): Promise<ApiToken> {
    await this.prisma.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: at } });
    return this.prisma.apiToken.findUniqueOrThrow({ where: { id } });
  }
}
