import { DomainError } from '../common/domain-error';
import type { ErrorMessage, StreamErrorCode } from './stream-protocol';

type ErrorExtra = Pick<ErrorMessage, 'oldestSeq' | 'latestSeq'>;

/** An error that becomes an `error` message on the socket (never closes it). */
export class StreamError extends Error {
  override name = 'StreamError';
  constructor(
    readonly code: StreamErrorCode,
    message: string,
    readonly extra: ErrorExtra = {},
  ) {
    super(message);
  }
}

const PASSED_THROUGH = new Set<string>(['NOT_FOUND', 'FORBIDDEN', 'CONFLICT', 'UNAUTHENTICATED', 'ENGINE_UNAVAILABLE', 'ENGINE_ERROR', 'DATABASE_UNAVAILABLE']);

/** Maps anything a handler threw to a stream error: DomainErrors keep their code and message, the rest is INTERNAL. */
export function toStreamError(err: unknown): StreamError {
  if (err instanceof StreamError) return err;
  if (err instanceof DomainError) {
    if (err.code === 'VALIDATION_FAILED' || err.code === 'BAD_REQUEST') return new StreamError('VALIDATION_FAILED', err.message);
    if (err.code === 'PRECONDITION_FAILED' || err.code === 'UNPROCESSABLE') return new StreamError('CONFLICT', err.message);
    if (PASSED_THROUGH.has(err.code)) return new StreamError(err.code as StreamErrorCode, err.message);
  }
  return new StreamError('INTERNAL', 'Internal error');
}
