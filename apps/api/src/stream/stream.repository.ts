import { Inject, Injectable } from '@nestjs/common';
import { PrismaService } from '../database/prisma.service';

/** The few reads the stream needs beyond EventsService and OperationsService. */
@Injectable()
export class StreamRepository {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaService) {}

  async teamExists(teamId: string): Promise<boolean> {
    if (!/^[0-9a-f-]{36}$/i.test(teamId)) return false;
    return (await this.prisma.team.count({ where: { id: teamId } })) > 0;
  }

  /** The team an owner adopted an unlabelled container into, if any. */
  async adoptedTeam(containerId: string): Promise<string | undefined> {
    const row = await this.prisma.containerAdoption.findUnique({ where: { containerId }, select: { teamId: true } });
    return row?.teamId;
  }

  /** Sequence number of an operation's `operation.started` event, if it is still in the log. */
  async operationStartSeq(operationId: string, teamId: string): Promise<number | undefined> {
    const rows = await this.prisma.$queryRaw<Array<{ seq: bigint }>>`
      SELECT seq FROM events
      WHERE team_id = ${teamId}::uuid AND kind = 'operation.started' AND payload->>'operationId' = ${operationId}
      ORDER BY seq LIMIT 1`;
    return rows.length ? Number(rows[0].seq) : undefined;
  }
}
