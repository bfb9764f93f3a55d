import { DomainError } from '../common/domain-error';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ESOCKETTIMEDOUT', 'ENOTFOUND']);

interface EngineErrorShape {
  statusCode?: number;
  code?: string;
  reason?: string;
  message?: string;
  json?: { message?: string } | null;
}

/** The engine's own sentence, without dockerode's "(HTTP code 404) no such container -" prefix. */
export function engineMessage(err: EngineErrorShape): string {
  return err.json?.message?.trim() || err.message?.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim() || err.reason || 'Docker Engine error';
}

/** Maps a dockerode/engine error to a DomainError, keeping the engine's message. */
export function mapDockerError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  const err = (error ?? {}) as EngineErrorShape;
  if (err.code && UNREACHABLE.has(err.code)) {
    return new DomainError('ENGINE_UNAVAILABLE', `Docker Engine unreachable: ${err.message ?? err.code}`, undefined, { cause: error });
  }
  const message = engineMessage(err);
  switch (err.statusCode) {
    case 400:
      return new DomainError('BAD_REQUEST', message, undefined, { cause: error });
    case 401:
    case 403:
      return new DomainError('FORBIDDEN', message, undefined, { cause: error });
    case 404:
      return new DomainError('NOT_FOUND', message, undefined, { cause: error });
    case 409:
      return new DomainError('CONFLICT', message, undefined, { cause: error });
    default:
      return new DomainError('ENGINE_ERROR', `Docker Engine error: ${message}`, undefined, { cause: error });
  }
}
