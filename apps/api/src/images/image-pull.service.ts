import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { DockerService } from '../docker/docker.service';
import { EventsService } from '../events/events.service';
import { OperationsService } from '../operations/operations.service';
import { RegistriesService } from '../registries/registries.service';
import { PullResultDto } from './dto/pull-image.dto';
import { engineName, ImageAccessService } from './image-access.service';
import type { ImageReference } from './image-reference';
import { engineMessages, messageError } from './progress/engine-lines';
import { EventQueue } from './progress/event-queue';
import { LayerProgress } from './progress/layer-progress';
import type { ProgressSink } from './progress/progress-sink';
import { EngineStreamError, registryError } from './registry-errors';

/**
 * Pulls an image with the team's credentials for its registry, under a `pull` operation:
 * progress goes to the caller's sink (every line), to events under `images/pull/<operationId>`
 * (layer status changes only) and to the operation's step log (registry messages).
 */
@Injectable()
export class ImagePullService {
  constructor(
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(RegistriesService) private readonly registries: RegistriesService,
    @Inject(OperationsService) private readonly operations: OperationsService,
    @Inject(EventsService) private readonly events: EventsService,
    @Inject(ImageAccessService) private readonly access: ImageAccessService,
  ) {}

  async pull(principal: Principal, ref: ImageReference, sink?: ProgressSink, onStep?: (message: string) => void): Promise<PullResultDto> {
    const credentials = await this.registries.credentialsForHost(principal.teamId, ref.registry);
    const registryName = credentials?.registry.name;
    const op = await this.operations.start(principal, 'pull', { image: ref.familiar, ...(registryName ? { registry: registryName } : {}) });
    const events = new EventQueue(this.events, op.teamId, `images/pull/${op.id}`);
    sink?.operation(op.id);
    const name = engineName(ref);
    try {
      const stream = await this.docker.call('pullImage', (d) => d.createImage(credentials?.auth as never, { fromImage: ref.repository, tag: ref.digest ?? ref.tag }), { longRunning: true });
      sink?.begin();
      await op.step(`Pulling ${ref.familiar}${registryName ? ` with the credentials of registry "${registryName}"` : ''}`);
      onStep?.(`Pulling ${ref.familiar}`);
      const progress = new LayerProgress();
      for await (const message of engineMessages(stream)) {
        const error = messageError(message);
        if (error) throw new EngineStreamError(error);
        const { line, changed } = progress.read(message);
        if (!line) continue;
        sink?.line(line);
        if (!changed) continue;
        if (line.type === 'layer') events.publish('image.pull.progress', { operationId: op.id, reference: ref.familiar, layer: line.layer, status: line.status!, current: line.current, total: line.total });
        else {
          events.publish('image.pull.progress', { operationId: op.id, reference: ref.familiar, status: line.message! });
          await op.step(line.message!);
        }
      }
      const image = await this.access.inspect(name);
      if (!image) throw new DomainError('ENGINE_ERROR', `The engine reported no image ${name} after the pull`);
      await this.access.claim(op.teamId, image.Id, [name]);
      const result: PullResultDto = {
        operationId: op.id,
        reference: ref.familiar,
        id: image.Id,
        ...((progress.digest ?? ref.digest) ? { digest: progress.digest ?? ref.digest } : {}),
        ...(progress.finalStatus ? { status: progress.finalStatus } : {}),
        ...(registryName ? { registry: registryName } : {}),
      };
      onStep?.(`Pulled ${ref.familiar}${result.digest ? ` (${result.digest})` : ''}`);
      events.publish('image.pulled', { operationId: op.id, reference: ref.familiar, id: image.Id, digest: result.digest });
      await events.flush();
      await op.succeed(result);
      return result;
    } catch (err) {
      const error = registryError(err, ref.registry, registryName);
      await events.flush();
      await op.fail(error.message);
      throw error;
    }
  }
}
