import { Inject, Injectable } from '@nestjs/common';
import type { ImageBuildOptions } from 'dockerode';
import type { Readable } from 'node:stream';
import type { Principal } from '../../auth/principal';
import { DomainError } from '../../common/domain-error';
import { AppConfig } from '../../config/app-config';
import { BERTH_LABELS, DockerService } from '../../docker/docker.service';
import { EventsService } from '../../events/events.service';
import { OperationsService } from '../../operations/operations.service';
import { RegistriesService } from '../../registries/registries.service';
import { BuildImageQueryDto, BuildResultDto } from '../dto/build-image.dto';
import { engineName, ImageAccessService } from '../image-access.service';
import { ImageReference, parseImageReference } from '../image-reference';
import { engineMessages, messageError } from '../progress/engine-lines';
import { EventQueue } from '../progress/event-queue';
import type { ProgressSink } from '../progress/progress-sink';
import type { BuildInput } from './build-input';
import { BuildOutput } from './build-output';
import { BuildStepFailedError } from './build-step-failed.error';
import { contextTooLarge, discard, discardCap, limitContext } from './context-limit';
import { inlineContext } from './inline-context';

const BUILD_ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function invalid(field: string, rule: string, message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', `Validation failed: ${message}`, [{ field, rule, message }]);
}

function parseBuildArgs(raw?: string): Record<string, string> {
  if (raw === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw invalid('buildArgs', 'json', 'buildArgs must be a JSON object of strings, e.g. {"VERSION":"1.2"}');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw invalid('buildArgs', 'json', 'buildArgs must be a JSON object of strings');
  for (const [key, v] of Object.entries(value)) {
    if (!BUILD_ARG_NAME.test(key)) throw invalid(`buildArgs.${key}`, 'name', `buildArgs.${key}: a build argument name is letters, digits and _, not starting with a digit`);
    if (typeof v !== 'string') throw invalid(`buildArgs.${key}`, 'isString', `buildArgs.${key} must be a string`);
  }
  return value as Record<string, string>;
}

/**
 * `docker build` under a `build` operation: the context is streamed to the engine (tar, optionally
 * gzip, size-limited) or packed from the JSON form; output streams step by step; a failing step
 * ends the build with its number, instruction and error. Built images carry the io.berth labels
 * and are recorded as the team's.
 */
@Injectable()
export class ImageBuildService {
  constructor(
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(RegistriesService) private readonly registries: RegistriesService,
    @Inject(OperationsService) private readonly operations: OperationsService,
    @Inject(EventsService) private readonly events: EventsService,
    @Inject(ImageAccessService) private readonly access: ImageAccessService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async build(principal: Principal, query: BuildImageQueryDto, input: BuildInput, sink?: ProgressSink): Promise<BuildResultDto> {
    const limit = this.config.buildContextMaxBytes;
    let context: Readable | Buffer;
    try {
      const tags = await this.checkTags(principal, query.tag ?? []);
      const buildArgs = parseBuildArgs(query.buildArgs);
      if (input.kind === 'inline') context = await inlineContext(input.body);
      else if (input.declaredLength !== undefined && input.declaredLength > limit) throw contextTooLarge(limit);
      else context = limitContext(input.stream, limit);
      return await this.run(principal, query, tags, buildArgs, context!, sink);
    } catch (err) {
      // Whatever went wrong, read the rest of an upload so the client gets the answer.
      if (input.kind === 'tar' && !input.stream.readableEnded) await discard(input.stream, discardCap(limit)).catch(() => undefined);
      throw err;
    }
  }

  private async run(principal: Principal, query: BuildImageQueryDto, tags: ImageReference[], buildArgs: Record<string, string>, context: Readable | Buffer, sink?: ProgressSink): Promise<BuildResultDto> {
    const names = tags.map(engineName);
    const op = await this.operations.start(principal, 'build', {
      tags: names,
      buildArgNames: Object.keys(buildArgs),
      ...(query.target ? { target: query.target } : {}),
      nocache: Boolean(query.nocache),
      pull: Boolean(query.pull),
    });
    const events = new EventQueue(this.events, op.teamId, `images/build/${op.id}`);
    sink?.operation(op.id);
    // Stable labels only (a per-build value would defeat the build cache); the classic builder runs one LABEL step per label.
    const labels = { [BERTH_LABELS.managed]: 'true', [BERTH_LABELS.team]: principal.teamId };
    const output = new BuildOutput(Object.keys(labels).length);
    try {
      const registryconfig = await this.registries.registryConfig(principal.teamId);
      const options: ImageBuildOptions = {
        // The engine takes `t` repeated, one per name; the query string builder repeats arrays.
        t: names as unknown as string,
        buildargs: buildArgs,
        labels,
        ...(query.target ? { target: query.target } : {}),
        ...(query.dockerfilePath ? { dockerfile: query.dockerfilePath } : {}),
        nocache: Boolean(query.nocache),
        pull: Boolean(query.pull),
        rm: true,
        forcerm: true,
        ...(Object.keys(registryconfig).length ? { registryconfig } : {}),
      };
      const stream = await this.docker.call('buildImage', (d) => d.buildImage(context as NodeJS.ReadableStream, options), { longRunning: true });
      sink?.begin();
      for await (const message of engineMessages(stream)) {
        const error = messageError(message);
        if (error) {
          if (output.step > 0) throw new BuildStepFailedError(output.step, output.totalSteps, output.instruction, error.trim());
          throw new DomainError('UNPROCESSABLE', `Build failed: ${error.trim()}`);
        }
        for (const line of output.read(message)) {
          sink?.line(line);
          if (line.type !== 'step') continue;
          events.publish('image.build.progress', { operationId: op.id, step: line.step!, totalSteps: line.totalSteps!, instruction: line.instruction! });
          await op.step(`Step ${line.step}/${line.totalSteps} : ${line.instruction}`);
        }
      }
      if (!output.imageId) throw new DomainError('ENGINE_ERROR', 'The engine finished the build without reporting an image id');
      const image = await this.access.inspect(output.imageId);
      if (!image) throw new DomainError('ENGINE_ERROR', `The engine reported image ${output.imageId}, which does not exist`);
      await this.access.claim(op.teamId, image.Id, names);
      const result: BuildResultDto = { operationId: op.id, id: image.Id, tags: tags.map((t) => t.familiar), steps: output.totalSteps };
      events.publish('image.built', { operationId: op.id, id: image.Id, tags: result.tags });
      await events.flush();
      await op.succeed(result);
      return result;
    } catch (err) {
      await events.flush();
      await op.fail((err as Error).message ?? String(err));
      throw err;
    }
  }

  /** Each tag must parse, carry no digest, and not take a name that belongs to another team's image. */
  private async checkTags(principal: Principal, raw: string[]): Promise<ImageReference[]> {
    const tags = raw.map((t) => parseImageReference(t, 'tag'));
    for (const tag of tags) {
      if (tag.digest) throw invalid('tag', 'noDigest', 'tag must be a name, not a digest');
      const existing = await this.access.inspect(engineName(tag));
      if (existing && !(await this.access.find(principal, tag))) throw new DomainError('CONFLICT', `"${tag.familiar}" already names an image this team does not own; choose another tag`);
    }
    return tags;
  }
}
