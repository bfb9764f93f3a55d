import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { DomainError, ErrorDetail } from '../../common/domain-error';
import { validationError } from '../../common/validation';
import { InlineBuildDto } from '../dto/build-image.dto';
import { createTar } from './tar-writer';

const MAX_FILES = 1000;
const SAFE_PATH = /^(?!\/)(?!.*(^|\/)\.\.?(\/|$))[^\0\\]{1,255}$/;

/** Validates the JSON build form like any request body (unknown fields rejected) and packs it as a tar context. */
export async function inlineContext(body: unknown): Promise<Buffer> {
  const dto = plainToInstance(InlineBuildDto, body ?? {});
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
  if (errors.length) throw validationError(errors);
  const files = Object.entries(dto.files ?? {});
  const details: ErrorDetail[] = [];
  if (files.length > MAX_FILES) details.push({ field: 'files', rule: 'maxFiles', message: `files must have at most ${MAX_FILES} entries` });
  for (const [path, content] of files) {
    if (!SAFE_PATH.test(path)) details.push({ field: `files.${path}`, rule: 'relativePath', message: `files.${path}: a path must be relative, inside the context, without "..", at most 255 characters` });
    else if (path === 'Dockerfile') details.push({ field: 'files.Dockerfile', rule: 'reserved', message: 'files.Dockerfile: give the Dockerfile as "dockerfile"' });
    if (typeof content !== 'string') details.push({ field: `files.${path}`, rule: 'isString', message: `files.${path} must be a string (UTF-8 file content)` });
  }
  if (details.length) throw new DomainError('VALIDATION_FAILED', `Validation failed: ${details.map((d) => d.message).join('; ')}`, details);
  return createTar([{ path: 'Dockerfile', content: dto.dockerfile }, ...files.map(([path, content]) => ({ path, content }))]);
}
