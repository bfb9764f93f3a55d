import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { DockerService } from '../docker/docker.service';
import { EventsService } from '../events/events.service';
import { OperationsService } from '../operations/operations.service';
import { RegistriesService, RegistryCredentials } from '../registries/registries.service';
import { PushImageDto, PushResultDto } from './dto/push-image.dto';
import { ImageAccessService } from './image-access.service';
import { engineMessages, messageError } from './progress/engine-lines';
import { EventQueue } from './progress/event-queue';
import { LayerProgress } from './progress/layer-progress';
import type { ProgressSink } from './progress/progress-sink';
import { EngineStreamError, registryError } from './registry-errors';

/**
 * `docker push` of a team image to one of the team's registries (the reference's registry host
 * must be one), with that registry's credentials, under a `push` operation. Progress as with pull.
 */
@Injectable()
export class ImagePushService {
  constructor(
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(RegistriesService) private readonly registries: RegistriesService,
    @Inject(OperationsService) private readonly operations: OperationsService,
    @Inject(EventsService) private readonly events: EventsService,
    @Inject(ImageAccessService) private readonly access: ImageAccessService,
  ) {}

  async push(principal: Principal, input: string, dto: PushImageDto, sink?: ProgressSink): Promise<PushResultDto> {
    const { reference } = await this.access.resolve(principal, input);
    if (!reference || reference.digest) {
      const message = 'push needs the image by name, [registry[:port]/]repo[:tag], not by id or digest; tag it first (POST /images/{ref}/tag)';
      throw new DomainError('VALIDATION_FAILED', `Validation failed: ${message}`, [{ field: 'ref', rule: 'pushableName', message }]);
    }
    const credentials = await this.credentials(principal, dto, reference.registry);
    const op = await this.operations.start(principal, 'push', { image: reference.familiar, registry: credentials.registry.name });
    const events = new EventQueue(this.events, op.teamId, `images/push/${op.id}`);
    sink?.operation(op.id);
    try {
      const stream = await this.docker.call('pushImage', (d) => d.getImage(reference.repository).push({ tag: reference.tag, authconfig: credentials.auth }), { longRunning: true });
      sink?.begin();
      await op.step(`Pushing ${reference.familiar} to registry "${credentials.registry.name}" (${credentials.registry.serverAddress})`);
      const progress = new LayerProgress();
      for await (const message of engineMessages(stream)) {
        const error = messageError(message);
        if (error) throw new EngineStreamError(error);
        const { line, changed } = progress.read(message);
        if (!line) continue;
        sink?.line(line);
        if (!changed) continue;
        events.publish('image.push.progress', { operationId: op.id, reference: reference.familiar, ...(line.type === 'layer' ? { layer: line.layer, status: line.status! } : { status: line.message! }) });
        if (line.type === 'status') await op.step(line.message!);
      }
      const result: PushResultDto = {
        operationId: op.id,
        reference: reference.familiar,
        registry: credentials.registry.name,
        ...(progress.digest ? { digest: progress.digest } : {}),
        ...(progress.size !== undefined ? { size: progress.size } : {}),
      };
      events.publish('image.pushed', { operationId: op.id, reference: reference.familiar, registry: credentials.registry.name, digest: result.digest, size: result.size });
      await events.flush();
      await op.succeed(result);
      return result;
    } catch (err) {
      const error = registryError(err, reference.registry, credentials.registry.name);
      await events.flush();
      await op.fail(error.message);
      throw error;
    }
  }

  private async credentials(principal: Principal, dto: PushImageDto, host: string): Promise<RegistryCredentials> {
    if (dto.registryId) return this.registries.credentialsById(principal, dto.registryId, host);
    const found = await this.registries.credentialsForHost(principal.teamId, host);
    if (!found) {
      const message = `the team has no registry for ${host}; add one (POST /registries) before pushing there`;
      throw new DomainError('UNPROCESSABLE', message, [{ field: 'ref', rule: 'teamRegistry', message }]);
    }
    return found;
  }
}
