import { Inject, Injectable } from '@nestjs/common';
import type { ImageInfo, ImageInspectInfo } from 'dockerode';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { DockerService } from '../docker/docker.service';
import { ImageReference, isImageId, parseImageReference, repositoryOf } from './image-reference';
import { TeamImagesRepository } from './team-images.repository';

/** What a caller may see: everything (owner), or the images and names its team recorded. */
export interface TeamImageView {
  teamId: string;
  all: boolean;
  ids: Set<string>;
  references: Set<string>;
  repositories: Set<string>;
}

export interface ResolvedImage {
  image: ImageInspectInfo;
  /** The parsed reference, when the caller named the image rather than giving its id. */
  reference?: ImageReference;
  view: TeamImageView;
}

/** The name the engine knows a parsed reference by: "repo:tag", or "repo@digest" when pinned. */
export function engineName(ref: ImageReference): string {
  return ref.digest ? `${ref.repository}@${ref.digest}` : `${ref.repository}:${ref.tag}`;
}

/**
 * Team scoping of images. Pulled images cannot be labelled, so which team pulled, built or tagged
 * what is recorded in team_images. A non-owner sees an image only if its team recorded the image
 * id, and sees only the names (tags, digests) it recorded; anything else is "not found".
 */
@Injectable()
export class ImageAccessService {
  constructor(
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(TeamImagesRepository) private readonly claims: TeamImagesRepository,
  ) {}

  async view(principal: Principal): Promise<TeamImageView> {
    if (principal.role === 'owner') return { teamId: principal.teamId, all: true, ids: new Set(), references: new Set(), repositories: new Set() };
    const rows = await this.claims.forTeam(principal.teamId);
    const references = new Set(rows.map((r) => r.reference).filter(Boolean));
    return {
      teamId: principal.teamId,
      all: false,
      ids: new Set(rows.map((r) => r.imageId)),
      references,
      repositories: new Set([...references].map(repositoryOf)),
    };
  }

  canSee(view: TeamImageView, imageId: string): boolean {
    return view.all || view.ids.has(imageId);
  }

  /** The tags and digests of an image the view may show. */
  visibleNames(view: TeamImageView, image: Pick<ImageInfo, 'RepoTags' | 'RepoDigests'>): { repoTags: string[]; repoDigests: string[] } {
    const tags = (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const digests = (image.RepoDigests ?? []).filter((d) => !d.startsWith('<none>@'));
    if (view.all) return { repoTags: tags, repoDigests: digests };
    return { repoTags: tags.filter((t) => view.references.has(t)), repoDigests: digests.filter((d) => view.repositories.has(repositoryOf(d))) };
  }

  /** Inspects an image by id or reference; 404 when missing or not the caller's. `field` names the input in 400s. */
  async resolve(principal: Principal, input: string, field = 'ref'): Promise<ResolvedImage> {
    const byId = isImageId(input);
    const reference = byId ? undefined : parseImageReference(input, field);
    const view = await this.view(principal);
    const image = await this.inspect(reference ? engineName(reference) : input);
    if (!image || !this.mayUse(view, image, reference)) throw DomainError.notFound('Image', input);
    return { image, reference, view };
  }

  /** Like resolve, but undefined instead of 404 (and no error for a missing image). */
  async find(principal: Principal, reference: ImageReference): Promise<ImageInspectInfo | undefined> {
    const view = await this.view(principal);
    const image = await this.inspect(engineName(reference));
    return image && this.mayUse(view, image, reference) ? image : undefined;
  }

  async inspect(name: string): Promise<ImageInspectInfo | undefined> {
    try {
      return await this.docker.call('inspectImage', (d) => d.getImage(name).inspect());
    } catch (err) {
      if ((err as DomainError).code === 'NOT_FOUND') return undefined;
      throw err;
    }
  }

  claim(teamId: string, imageId: string, references: string[]): Promise<void> {
    return this.claims.claim(teamId, imageId, references);
  }

  private mayUse(view: TeamImageView, image: ImageInspectInfo, reference?: ImageReference): boolean {
    if (view.all) return true;
    if (!view.ids.has(image.Id)) return false;
    if (!reference) return true;
    return reference.digest ? view.repositories.has(reference.repository) : view.references.has(engineName(reference));
  }
}
