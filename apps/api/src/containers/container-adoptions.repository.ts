import { Inject, Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';

/** Which team owns a foreign (unlabelled) container an owner adopted. */
@Injectable()
export class ContainerAdoptionsRepository {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  async teamOf(containerId: string): Promise<string | undefined> {
    const row = await this.prisma.containerAdoption.findUnique({ where: { containerId }, select: { teamId: true } });
    return row?.teamId;
  }

  /** Container id → team id, for every adoption. */
  async list(): Promise<Map<string, string>> {
    const rows = await this.prisma.containerAdoption.findMany({ select: { containerId: true, teamId: true } });
    return new Map(rows.map((r) => [r.containerId, r.teamId]));
  }

  async adopt(containerId: string, teamId: string, adoptedBy: string): Promise<void> {
    await this.prisma.containerAdoption.upsert({
      where: { containerId },
      create: { containerId, teamId, adoptedBy },
      update: { teamId, adoptedBy, createdAt: new Date() },
    });
  }

  async forget(containerId: string): Promise<void> {
    await this.prisma.containerAdoption.deleteMany({ where: { containerId } });
  }

  async teamExists(teamId: string): Promise<boolean> {
    return (await this.prisma.team.count({ where: { id: teamId } })) > 0;
  }
}
