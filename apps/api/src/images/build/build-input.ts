import type { Request } from 'express';
import type { Readable } from 'node:stream';
import { DomainError } from '../../common/domain-error';

export const TAR_CONTENT_TYPES = ['application/x-tar', 'application/tar', 'application/gzip', 'application/x-gzip'];

/** A build context as uploaded (tar, optionally gzip; the engine detects the compression), or the JSON form. */
export type BuildInput = { kind: 'tar'; stream: Readable; declaredLength?: number } | { kind: 'inline'; body: unknown };

/** Chooses the build input by Content-Type; anything else is 415. */
export function buildInputFrom(req: Request, body: unknown): BuildInput {
  if (req.is('application/json')) return { kind: 'inline', body };
  if (req.is(TAR_CONTENT_TYPES)) {
    const length = Number(req.headers['content-length']);
    return { kind: 'tar', stream: req, declaredLength: Number.isFinite(length) ? length : undefined };
  }
  throw new DomainError('UNSUPPORTED_MEDIA_TYPE', `A build takes a tar context (${TAR_CONTENT_TYPES.join(', ')}) or application/json {dockerfile, files}`);
}
