import { Inject, Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';
import type { Registry } from '../generated/prisma/client';

export type RegistryData = Pick<Registry, 'name' | 'serverAddress' | 'username' | 'secretCiphertext'>;

@Injectable()
export class RegistriesRepository {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  create(teamId: string, data: RegistryData): Promise<Registry> {
    return this.prisma.registry.create({ data: { teamId, ...data } });
  }

  /** `teamId` undefined means every team (owner). */
  list(teamId?: string): Promise<Registry[]> {
    return this.prisma.registry.findMany({ where: teamId ? { teamId } : {}, orderBy: [{ teamId: 'asc' }, { name: 'asc' }] });
  }

  /** Scoped lookup: `teamId` undefined means any team (owner). */
  find(id: string, teamId?: string): Promise<Registry | null> {
    return this.prisma.registry.findFirst({ where: { id, ...(teamId ? { teamId } : {}) } });
  }

  findByName(teamId: string, name: string): Promise<Registry | null> {
    return this.prisma.registry.findUnique({ where: { teamId_name: { teamId, name } } });
  }

  update(id: string, data: Partial<RegistryData>): Promise<Registry> {
    return this.prisma.registry.update({ where: { id }, data });
  }

  async delete(id: string): Promise<void> {
    await this.prisma.registry.delete({ where: { id } });
  }
}
