import { Inject, Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import type { TokenRole } from '../generated/prisma/enums';

const BOOTSTRAP_LOCK_ID = 4_242_001;

@Injectable()
export class AuthRepository {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  findTokenByHash(hash: string) {
    return this.prisma.apiToken.findUnique({ where: { hash } });
  }

  async touchToken(id: string, at: Date): Promise<void> {
    await this.prisma.apiToken.updateMany({ where: { id }, data: { lastUsedAt: at } });
  }

  /**
   * Creates the first team and its owner token if, and only if, no token exists yet — under a
   * transaction-scoped advisory lock, so two processes starting at once create one between them.
   */
  async createBootstrapTokenIfEmpty(input: { teamName: string; tokenName: string; role: TokenRole; hash: string; prefix: string }): Promise<boolean> {
    return this.prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${BOOTSTRAP_LOCK_ID})`;
      if ((await tx.apiToken.count()) > 0) return false;
      const team = await tx.team.upsert({ where: { name: input.teamName }, create: { name: input.teamName }, update: {} });
      await tx.apiToken.create({ data: { teamId: team.id, name: input.tokenName, role: input.role, hash: input.hash, prefix: input.prefix } });
      return true;
    });
  }
}
