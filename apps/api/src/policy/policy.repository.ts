import { Inject, Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import type { Prisma } from '../generated/prisma/client';
import type { TokenRole } from '../generated/prisma/enums';

export interface TeamPolicyRow {
  id: string;
  name: string;
  policy: unknown;
  updatedAt: Date;
}

/** Reads and writes the `teams.policy` column (the teams themselves belong to the teams module). */
@Injectable()
export class PolicyRepository {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  find(teamId: string): Promise<TeamPolicyRow | null> {
    return this.prisma.team.findUnique({ where: { id: teamId }, select: { id: true, name: true, policy: true, updatedAt: true } });
  }

  /** Replaces the stored policy; null when the team does not exist. */
  async save(teamId: string, policy: object): Promise<TeamPolicyRow | null> {
    const { count } = await this.prisma.team.updateMany({ where: { id: teamId }, data: { policy: policy as Prisma.InputJsonValue } });
    return count ? this.find(teamId) : null;
  }

  /** The role of a token (revoked or not): who authored a deployment revision. */
  async tokenRole(tokenId: string): Promise<TokenRole | null> {
    const row = await this.prisma.apiToken.findUnique({ where: { id: tokenId }, select: { role: true } });
    return row?.role ?? null;
  }
}
