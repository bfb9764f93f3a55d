import { Inject, Injectable } from '@nestjs/common';
import type { ImageInfo, ImageInspectInfo } from 'dockerode';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { DockerService } from '../docker/docker.service';
import { EventsService } from '../events/events.service';
import { ImageDetailDto } from './dto/image-detail.dto';
import { ImageSummaryDto, ListImagesQueryDto } from './dto/list-images.dto';
import { PullImageDto, PullResultDto } from './dto/pull-image.dto';
import { PruneImagesDto, PruneImagesResponseDto } from './dto/prune-images.dto';
import { RemoveImageResponseDto } from './dto/remove-image.dto';
import { TagImageDto, TagImageResponseDto } from './dto/tag-image.dto';
import { engineName, ImageAccessService, TeamImageView } from './image-access.service';
import { parseImageReference, referenceFilter } from './image-reference';
import { ImagePullService } from './image-pull.service';
import type { ProgressSink } from './progress/progress-sink';
import { TeamImagesRepository } from './team-images.repository';

export type PullPolicy = 'missing' | 'always' | 'never';

const toIso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** Images on the engine, scoped to the caller's team (see ImageAccessService). */
@Injectable()
export class ImagesService {
  constructor(
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(ImageAccessService) private readonly access: ImageAccessService,
    @Inject(ImagePullService) private readonly puller: ImagePullService,
    @Inject(TeamImagesRepository) private readonly claims: TeamImagesRepository,
    @Inject(EventsService) private readonly events: EventsService,
  ) {}

  /**
   * What `docker run` does first: use the image if the team has it locally, else pull it with the
   * team's registry credentials (always, with policy 'always') and record it as the team's.
   * A local image the team never pulled, built or tagged counts as missing: pulling it proves the
   * team may have it. 404 when missing and the policy is 'never'.
   */
  async ensureImage(principal: Principal, reference: string, policy: PullPolicy, onStep?: (message: string) => void): Promise<{ id: string; reference: string; pulled: boolean }> {
    const ref = parseImageReference(reference, 'image');
    if (policy !== 'always') {
      const local = await this.access.find(principal, ref);
      if (local) {
        onStep?.(`Image ${ref.familiar} is present locally (${local.Id})`);
        return { id: local.Id, reference: ref.familiar, pulled: false };
      }
      if (policy === 'never') throw new DomainError('NOT_FOUND', `Image "${ref.familiar}" is not available locally and the pull policy is "never"`);
    }
    const result = await this.puller.pull(principal, ref, undefined, onStep);
    return { id: result.id, reference: ref.familiar, pulled: true };
  }

  async list(principal: Principal, query: ListImagesQueryDto): Promise<ImageSummaryDto[]> {
    const filters: Record<string, string[]> = {};
    if (query.reference) filters.reference = [query.reference];
    if (query.dangling !== undefined) filters.dangling = [String(query.dangling)];
    if (query.label?.length) filters.label = query.label;
    const [images, view] = await Promise.all([
      this.docker.call('listImages', (d) => d.listImages({ filters })),
      this.access.view(principal),
    ]);
    // The engine matched `reference` against every name of an image, other teams' tags included;
    // a team's listing only matches on the names it may see, so the filter reveals nothing more.
    const visibleMatch = query.reference && !view.all ? referenceFilter(query.reference) : undefined;
    const matches = (i: (typeof images)[number]) => {
      if (!visibleMatch) return true;
      const { repoTags, repoDigests } = this.access.visibleNames(view, i);
      return [...repoTags, ...repoDigests].some(visibleMatch);
    };
    return images.filter((i) => this.access.canSee(view, i.Id) && matches(i)).map((i) => this.summary(view, i));
  }

  async inspect(principal: Principal, ref: string): Promise<ImageDetailDto> {
    const { image, view } = await this.access.resolve(principal, ref);
    const history = await this.docker.call('imageHistory', (d) => d.getImage(image.Id).history());
    return this.detail(view, image, history as EngineHistoryEntry[]);
  }

  pull(principal: Principal, dto: PullImageDto, sink?: ProgressSink): Promise<PullResultDto> {
    return this.puller.pull(principal, parseImageReference(dto.image, 'image'), sink);
  }

  async tag(principal: Principal, ref: string, dto: TagImageDto): Promise<TagImageResponseDto> {
    const { image } = await this.access.resolve(principal, ref);
    const target = parseImageReference(dto.target, 'target');
    if (target.digest) {
      const message = 'target must be a tag, not a digest';
      throw new DomainError('VALIDATION_FAILED', `Validation failed: ${message}`, [{ field: 'target', rule: 'noDigest', message }]);
    }
    const name = engineName(target);
    const existing = await this.access.inspect(name);
    if (existing && existing.Id !== image.Id && !(await this.access.find(principal, target))) {
      throw new DomainError('CONFLICT', `"${target.familiar}" already names an image this team does not own; choose another name`);
    }
    await this.docker.call('tagImage', (d) => d.getImage(image.Id).tag({ repo: target.repository, tag: target.tag }));
    await this.access.claim(principal.teamId, image.Id, [name]);
    await this.events.publish(principal.teamId, 'image.tagged', { id: image.Id, source: ref, reference: target.familiar });
    return { id: image.Id, reference: target.familiar };
  }

  /**
   * `docker rmi`: by name (removes that tag; the image goes with its last tag) or by id. The
   * engine answers 409 while a container uses the image (with `force`, only a running one).
   * An image another team also uses is left alone: only the caller's claim on it is released.
   */
  async remove(principal: Principal, ref: string, force = false): Promise<RemoveImageResponseDto> {
    const { image, reference, view } = await this.access.resolve(principal, ref);
    if (!view.all) {
      const others = (await this.claims.forImages([image.Id])).filter((c) => c.teamId !== principal.teamId);
      if (others.length) {
        await this.claims.release(principal.teamId, image.Id);
        await this.events.publish(principal.teamId, 'image.removed', { reference: ref, untagged: [], deleted: [] });
        return { untagged: [], deleted: [], released: true };
      }
    }
    const items = (await this.docker.call('removeImage', (d) => d.getImage(reference ? engineName(reference) : image.Id).remove({ force }))) as Array<{ Untagged?: string; Deleted?: string }>;
    const untagged = items.flatMap((i) => (i.Untagged ? [i.Untagged] : []));
    const deleted = items.flatMap((i) => (i.Deleted ? [i.Deleted] : []));
    await this.claims.forgetImages(deleted);
    if (!deleted.includes(image.Id) && untagged.length) await this.claims.release(principal.teamId, image.Id, untagged);
    await this.events.publish(principal.teamId, 'image.removed', { reference: ref, untagged, deleted });
    return { untagged, deleted, released: false };
  }

  /**
   * `docker image prune`. The owner prunes the host through the engine; a team prunes only images
   * it alone recorded: untagged ones, or (all) every one no container uses.
   */
  async prune(principal: Principal, dto: PruneImagesDto): Promise<PruneImagesResponseDto> {
    const view = await this.access.view(principal);
    const result = view.all ? await this.pruneHost(dto) : await this.pruneTeam(principal.teamId, view, dto);
    await this.claims.forgetImages(result.deleted);
    await this.events.publish(principal.teamId, 'image.pruned', { deleted: result.deleted, spaceReclaimed: result.spaceReclaimed });
    return result;
  }

  private async pruneHost(dto: PruneImagesDto): Promise<PruneImagesResponseDto> {
    const filters: Record<string, string[]> = { dangling: [String(!dto.all)] };
    if (dto.until) filters.until = [dto.until];
    if (dto.label?.length) filters.label = dto.label;
    const out = await this.docker.call('pruneImages', (d) => d.pruneImages({ filters }));
    const deleted = (out.ImagesDeleted ?? []).flatMap((i) => (i.Deleted ? [i.Deleted] : []));
    return { deleted, spaceReclaimed: out.SpaceReclaimed ?? 0 };
  }

  private async pruneTeam(teamId: string, view: TeamImageView, dto: PruneImagesDto): Promise<PruneImagesResponseDto> {
    const filters: Record<string, string[]> = {};
    if (!dto.all) filters.dangling = ['true'];
    if (dto.until) filters.until = [dto.until];
    if (dto.label?.length) filters.label = dto.label;
    const [images, containers] = await Promise.all([
      this.docker.call('listImages', (d) => d.listImages({ filters })),
      this.docker.call('listContainers', (d) => d.listContainers({ all: true })),
    ]);
    const inUse = new Set(containers.map((c) => c.ImageID));
    const mine = images.filter((i) => view.ids.has(i.Id) && !inUse.has(i.Id));
    const shared = new Set((await this.claims.forImages(mine.map((i) => i.Id))).filter((c) => c.teamId !== teamId).map((c) => c.imageId));
    const deleted: string[] = [];
    let spaceReclaimed = 0;
    for (const image of mine.filter((i) => !shared.has(i.Id))) {
      try {
        await this.docker.call('removeImage', (d) => d.getImage(image.Id).remove({ force: false, noprune: false }));
        deleted.push(image.Id);
        spaceReclaimed += image.Size;
      } catch (err) {
        if ((err as DomainError).code !== 'CONFLICT' && (err as DomainError).code !== 'NOT_FOUND') throw err;
      }
    }
    return { deleted, spaceReclaimed };
  }

  private summary(view: TeamImageView, i: ImageInfo): ImageSummaryDto {
    const names = this.access.visibleNames(view, i);
    const tagged = (i.RepoTags ?? []).some((t) => t !== '<none>:<none>');
    return { id: i.Id, ...names, created: toIso(i.Created), size: i.Size, labels: i.Labels ?? {}, dangling: !tagged };
  }

  private detail(view: TeamImageView, image: ImageInspectInfo, history: EngineHistoryEntry[]): ImageDetailDto {
    const config = image.Config ?? ({} as ImageInspectInfo['Config']);
    return {
      id: image.Id,
      ...this.access.visibleNames(view, image),
      ...(image.Parent ? { parent: image.Parent } : {}),
      created: new Date(image.Created).toISOString(),
      size: image.Size,
      architecture: image.Architecture,
      os: image.Os,
      ...(image.Author ? { author: image.Author } : {}),
      ...(image.Comment ? { comment: image.Comment } : {}),
      config: {
        env: config.Env ?? [],
        ...(config.Cmd ? { cmd: [config.Cmd].flat() } : {}),
        ...(config.Entrypoint ? { entrypoint: [config.Entrypoint].flat() } : {}),
        ...(config.WorkingDir ? { workingDir: config.WorkingDir } : {}),
        ...(config.User ? { user: config.User } : {}),
        exposedPorts: Object.keys(config.ExposedPorts ?? {}),
        volumes: Object.keys(config.Volumes ?? {}),
        labels: config.Labels ?? {},
        ...((config as { StopSignal?: string }).StopSignal ? { stopSignal: (config as { StopSignal?: string }).StopSignal } : {}),
      },
      history: history.map((h) => ({
        id: h.Id,
        created: toIso(h.Created),
        createdBy: h.CreatedBy,
        size: h.Size,
        tags: this.access.visibleNames(view, { RepoTags: h.Tags ?? [], RepoDigests: [] }).repoTags,
        ...(h.Comment ? { comment: h.Comment } : {}),
      })),
    };
  }
}

interface EngineHistoryEntry {
  Id: string;
  Created: number;
  CreatedBy: string;
  Size: number;
  Tags: string[] | null;
  Comment?: string;
}
