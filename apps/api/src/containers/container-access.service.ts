import { Inject, Injectable } from '@nestjs/common';
import type Docker from 'dockerode';
import { isOwner } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { BERTH_LABELS, DockerService } from '../docker/docker.service';
import { ContainerAdoptionsRepository } from './container-adoptions.repository';

export interface ScopedContainer {
  info: Docker.ContainerInspectInfo;
  /** The owning team: io.berth.team label, or the adoption; undefined for a foreign container. */
  teamId?: string;
  /** Set when ownership comes from an adoption rather than the label. */
  adoptedBy?: string;
  name: string;
}

/** How long a listing may use this process's copy of container_adoptions (actions always read it fresh). */
export const ADOPTIONS_CACHE_MS = 2000;

/** Owner tokens see every container on the host; every other token only its team's. */
export const seesEverything = (principal: Principal) => isOwner(principal);

/**
 * Team scoping for containers. A container belongs to the team in its io.berth.team label or, for
 * a container Berth did not create, to the team an owner adopted it into. Anything else is
 * reported exactly like a container that does not exist (404), so ids and names do not leak.
 */
@Injectable()
export class ContainerAccessService {
  private adoptionsCache?: { at: number; map: Promise<Map<string, string>> };

  constructor(
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(ContainerAdoptionsRepository) private readonly adoptions: ContainerAdoptionsRepository,
  ) {}

  /**
   * Every adoption (container id → team id) for listings. Adoptions are rare owner actions, so a
   * listing reuses a copy up to ADOPTIONS_CACHE_MS old instead of querying on every GET; this
   * process drops its copy on every adoption or removal. Access checks (resolve) never use it.
   */
  adoptedContainers(now = Date.now()): Promise<Map<string, string>> {
    if (!this.adoptionsCache || now - this.adoptionsCache.at > ADOPTIONS_CACHE_MS) {
      const map = this.adoptions.list();
      this.adoptionsCache = { at: now, map };
      map.catch(() => (this.adoptionsCache = undefined));
    }
    return this.adoptionsCache.map;
  }

  forgetAdoptionsCache(): void {
    this.adoptionsCache = undefined;
  }

  notFound(ref: string): DomainError {
    return DomainError.notFound('Container', ref);
  }

  /** Resolves an id, short id or name to a container the principal may act on, or 404. */
  async resolve(principal: Principal, ref: string): Promise<ScopedContainer> {
    let info: Docker.ContainerInspectInfo;
    try {
      info = await this.docker.call('containerInspect', (d) => d.getContainer(ref).inspect());
    } catch (err) {
      // Ambiguous short ids come back as 400/404 with other containers' ids in the message.
      if (err instanceof DomainError && (err.code === 'NOT_FOUND' || err.code === 'BAD_REQUEST')) throw this.notFound(ref);
      throw err;
    }
    const labelTeam = info.Config?.Labels?.[BERTH_LABELS.team];
    const adoptedBy = labelTeam ? undefined : await this.adoptions.teamOf(info.Id);
    const teamId = labelTeam ?? adoptedBy;
    if (!seesEverything(principal) && teamId !== principal.teamId) throw this.notFound(ref);
    return { info, teamId, adoptedBy, name: info.Name.replace(/^\//, '') };
  }
}
