import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import type { Request, Response } from 'express';
import { DomainError, ErrorCode, ERROR_STATUS } from './domain-error';
import { ErrorResponseDto } from './error-response.dto';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST', 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 409: 'CONFLICT',
  412: 'PRECONDITION_FAILED', 413: 'PAYLOAD_TOO_LARGE', 415: 'UNSUPPORTED_MEDIA_TYPE', 422: 'UNPROCESSABLE',
  429: 'RATE_LIMITED', 502: 'ENGINE_ERROR', 503: 'ENGINE_UNAVAILABLE',
};

/** Prisma's known request errors, matched by code without importing the generated runtime. */
function fromPrisma(err: { code?: string; meta?: Record<string, unknown> }): DomainError | undefined {
  if (err.code === 'P2002') {
    const target = (err.meta?.target as string[] | string | undefined) ?? (err.meta?.driverAdapterError as any)?.cause?.constraint?.fields;
    return new DomainError('CONFLICT', `A record with the same ${[target].flat().filter(Boolean).join(', ') || 'key'} already exists`);
  }
  if (err.code === 'P2025') return new DomainError('NOT_FOUND', 'The requested record was not found');
  return undefined;
}

/** Express/body-parser errors carry a `type` and a `status`. */
function fromBodyParser(err: { type?: string; status?: number; message?: string; limit?: number }): DomainError | undefined {
  if (err.type === 'entity.too.large') return new DomainError('PAYLOAD_TOO_LARGE', `Request body exceeds the limit of ${err.limit} bytes (BERTH_BODY_LIMIT_BYTES)`);
  if (err.type === 'entity.parse.failed') return new DomainError('BAD_REQUEST', `Request body is not valid JSON: ${err.message}`);
  if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') return new DomainError('UNSUPPORTED_MEDIA_TYPE', err.message ?? 'Unsupported encoding');
  return undefined;
}

export function toDomainError(exception: unknown): DomainError {
  if (exception instanceof DomainError) return exception;
  if (exception instanceof HttpException) {
    // Express's adapter wraps body-parser errors in an HttpException; the original says more (the limit).
    const cause = exception.cause;
    const parsed = cause && typeof cause === 'object' ? fromBodyParser(cause as any) : undefined;
    if (parsed) return parsed;
    const status = exception.getStatus();
    const body = exception.getResponse();
    const message = typeof body === 'string' ? body : Array.isArray((body as any).message) ? (body as any).message.join('; ') : ((body as any).message ?? exception.message);
    return new DomainError(CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST'), message);
  }
  if (exception && typeof exception === 'object') {
    const mapped = fromPrisma(exception as any) ?? fromBodyParser(exception as any);
    if (mapped) return mapped;
  }
  return new DomainError('INTERNAL', 'Internal server error', undefined, { cause: exception });
}

/** The one place where errors become HTTP responses. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: string }>();
    const res = ctx.getResponse<Response>();
    const error = toDomainError(exception);
    const status = ERROR_STATUS[error.code];
    // For the audit log (audit/audit.middleware.ts), which records the code, never the message.
    if (res.locals) res.locals.errorCode = error.code;
    if (status >= 500 && error.code === 'INTERNAL') this.logger.error({ err: exception, requestId: req.id }, 'Unhandled error');
    if (res.headersSent) {
      res.end();
      return;
    }
    const body: ErrorResponseDto = {
      statusCode: status,
      error: STATUS_CODES[status] ?? 'Error',
      code: error.code,
      message: error.message,
      ...(error.details ? { details: error.details } : {}),
      requestId: String(req.id ?? ''),
    };
    res.status(status).json(body);
  }
}
