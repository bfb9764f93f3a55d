import { DomainError } from '../common/domain-error';
import { engineMessage } from '../docker/docker-errors';

/** An error the engine reported inside a pull/push progress stream (`errorDetail`). */
export class EngineStreamError extends Error {
  override name = 'EngineStreamError';
}

const AUTH_FAILURE = /unauthorized|authentication required|no basic auth credentials|incorrect username or password|access to the resource is denied|401 unauthorized|403 forbidden/i;
const NOT_FOUND = /manifest unknown|not found|repository does not exist|no such image/i;

/**
 * Turns what the engine reported for a pull or push (an HTTP error before the stream, or an
 * `errorDetail` inside it) into the caller's error: the registry refused the credentials →
 * 401 REGISTRY_AUTH_FAILED naming the registry; unknown image → 404; anything else from the
 * registry → 502 naming it. Engine-level errors (unreachable, bad request) keep their mapping,
 * and errors that did not come from the engine pass through unchanged.
 */
export function registryError(error: unknown, registry: string, registryName?: string): Error {
  const who = `Registry ${registry}${registryName ? ` (registry "${registryName}")` : ''}`;
  let status: number | undefined;
  let message: string;
  if (error instanceof DomainError) {
    if (error.code === 'ENGINE_UNAVAILABLE' || error.code === 'VALIDATION_FAILED' || error.code === 'PAYLOAD_TOO_LARGE') return error;
    const cause = error.cause as { statusCode?: number; message?: string; json?: { message?: string } } | undefined;
    status = cause?.statusCode;
    message = cause?.statusCode ? engineMessage(cause) : error.message;
    if (!cause?.statusCode && error.code !== 'ENGINE_ERROR') return error;
  } else if (error instanceof EngineStreamError) {
    message = error.message;
  } else {
    return error instanceof Error ? error : new Error(String(error)); // not the registry's doing (e.g. the database): unchanged
  }
  if (status === 401 || status === 403 || AUTH_FAILURE.test(message)) {
    return new DomainError('REGISTRY_AUTH_FAILED', `${who} rejected the credentials: ${message}`, undefined, { cause: error });
  }
  if (status === 404 || NOT_FOUND.test(message)) return new DomainError('NOT_FOUND', message, undefined, { cause: error });
  if (status === 400) return new DomainError('BAD_REQUEST', message, undefined, { cause: error });
  return new DomainError('ENGINE_ERROR', `${who}: ${message}`, undefined, { cause: error });
}
