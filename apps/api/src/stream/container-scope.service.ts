import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { BERTH_LABELS, DockerService } from '../docker/docker.service';
import { StreamError } from './stream-errors';
import { seesEveryTeam } from './stream-permissions';
import { StreamRepository } from './stream.repository';

export interface ResolvedContainer {
  id: string;
  name: string;
  tty: boolean;
  running: boolean;
  teamId?: string;
  deployment?: string;
  slot?: number;
  revision?: number;
}

const toInt = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined);

/** Replica identity from a container's labels. */
export function replicaLabels(labels: Record<string, string> | undefined): Pick<ResolvedContainer, 'deployment' | 'slot' | 'revision'> {
  return {
    deployment: labels?.[BERTH_LABELS.deployment] || undefined,
    slot: toInt(labels?.[BERTH_LABELS.slot]),
    revision: toInt(labels?.[BERTH_LABELS.revision]),
  };
}

/**
 * Team scoping for containers on /ws, as over HTTP: a container belongs to the team in its
 * io.berth.team label, or the team an owner adopted it into. Another team's container answers
 * NOT_FOUND exactly like a missing one, so ids and names do not leak.
 */
@Injectable()
export class ContainerScopeService {
  constructor(
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(StreamRepository) private readonly repo: StreamRepository,
  ) {}

  async resolve(principal: Principal, ref: string): Promise<ResolvedContainer> {
    const notFound = () => new StreamError('NOT_FOUND', `Container ${JSON.stringify(ref)} not found`);
    let info;
    try {
      info = await this.docker.call('containerInspect', (d) => d.getContainer(ref).inspect());
    } catch (err) {
      // Ambiguous short ids come back as 400/404 with other containers' ids in the message.
      if (err instanceof DomainError && (err.code === 'NOT_FOUND' || err.code === 'BAD_REQUEST')) throw notFound();
      throw err;
    }
    const labels = info.Config?.Labels ?? {};
    const teamId = labels[BERTH_LABELS.team] || (await this.repo.adoptedTeam(info.Id));
    if (!seesEveryTeam(principal) && teamId !== principal.teamId) throw notFound();
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      tty: Boolean(info.Config?.Tty),
      running: Boolean(info.State?.Running),
      teamId,
      ...replicaLabels(labels),
    };
  }
}
