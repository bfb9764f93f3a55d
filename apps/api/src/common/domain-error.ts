/** Machine-readable error codes; the exception filter maps each to one HTTP status. */
export const ERROR_STATUS = {
  VALIDATION_FAILED: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  /** A container registry rejected the credentials Berth sent on the caller's behalf (not Berth's own auth). */
  REGISTRY_AUTH_FAILED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  OPERATION_FAILED: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  ENGINE_ERROR: 502,
  ENGINE_UNAVAILABLE: 503,
  /** Berth stopped waiting for the engine (e.g. an exec past its timeoutSeconds). */
  TIMEOUT: 504,
  DATABASE_UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One field-level problem: which field (dotted path), which rule, and a sentence. */
export interface ErrorDetail {
  field: string;
  rule: string;
  message: string;
}

/**
 * The only error type services throw. Carries a code (→ HTTP status in HttpErrorFilter),
 * a human message, and optional field details. Services never know about HTTP.
 */
export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  static notFound(what: string, id: string): DomainError {
    return new DomainError('NOT_FOUND', `${what} ${JSON.stringify(id)} not found`);
  }
}
