import { Inject, Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';

export interface ImageClaim {
  teamId: string;
  imageId: string;
  reference: string;
}

/** The team ↔ engine image records (table team_images): who pulled, built or tagged what. */
@Injectable()
export class TeamImagesRepository {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  async claim(teamId: string, imageId: string, references: string[]): Promise<void> {
    const refs = references.length ? references : [''];
    await this.prisma.teamImage.createMany({ data: refs.map((reference) => ({ teamId, imageId, reference })), skipDuplicates: true });
  }

  forTeam(teamId: string): Promise<ImageClaim[]> {
    return this.prisma.teamImage.findMany({ where: { teamId }, select: { teamId: true, imageId: true, reference: true } });
  }

  forImages(imageIds: string[]): Promise<ImageClaim[]> {
    return this.prisma.teamImage.findMany({ where: { imageId: { in: imageIds } }, select: { teamId: true, imageId: true, reference: true } });
  }

  /** Forgets images that no longer exist on the engine (every team's records of them). */
  async forgetImages(imageIds: string[]): Promise<void> {
    if (imageIds.length) await this.prisma.teamImage.deleteMany({ where: { imageId: { in: imageIds } } });
  }

  /** Forgets one team's records of an image, or of some references to it. */
  async release(teamId: string, imageId: string, references?: string[]): Promise<void> {
    await this.prisma.teamImage.deleteMany({ where: { teamId, imageId, ...(references ? { reference: { in: references } } : {}) } });
  }
}
