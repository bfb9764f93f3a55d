import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { DomainError, ErrorDetail } from './domain-error';

/** Flattens class-validator's tree into `field.path` + rule + message entries. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): ErrorDetail[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.entries(e.constraints ?? {}).map(([rule, message]) => ({
      field,
      rule: rule === 'whitelistValidation' ? 'forbidden' : rule,
      message: rule === 'whitelistValidation' ? `property ${field} is not allowed` : message.replace(new RegExp(`^${e.property}\\b`), field),
    }));
    return [...own, ...flattenValidationErrors(e.children ?? [], field)];
  });
}

export function validationError(errors: ValidationError[]): DomainError {
  const details = flattenValidationErrors(errors);
  return new DomainError('VALIDATION_FAILED', `Validation failed: ${details.map((d) => d.message).join('; ')}`, details);
}

type Ctor = new () => object;

/**
 * NUL characters in a request body are refused (400) wherever they are: Postgres cannot store
 * them in JSON, and the engine and Linux (env, argv, paths, labels) cannot take them either.
 */
export function rejectNul(value: unknown, path = ''): void {
  if (typeof value === 'string') {
    if (value.includes('\0')) {
      const field = path || 'body';
      throw new DomainError('VALIDATION_FAILED', `Validation failed: ${field} must not contain NUL characters`, [{ field, rule: 'noNul', message: `${field} must not contain NUL characters` }]);
    }
    return;
  }
  if (Array.isArray(value)) return value.forEach((v, i) => rejectNul(v, path ? `${path}.${i}` : String(i)));
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) {
      rejectNul(k, path || 'body');
      rejectNul(v, path ? `${path}.${k}` : k);
    }
  }
}

/**
 * The global pipe, with one shortcut: an empty query string (`GET /containers`, the commonest
 * request) validates the same way every time for a given DTO, so after the full pipeline has
 * accepted `{}` once for a DTO and produced nothing but a fresh instance, later empty queries get
 * a fresh instance directly. Anything else — any query parameter, bodies, params — always takes
 * the full class-transformer + class-validator path.
 */
export class BerthValidationPipe extends ValidationPipe {
  private readonly emptyQueryOk = new WeakMap<Ctor, boolean>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body') rejectNul(value);
    const metatype = metadata.metatype as Ctor | undefined;
    const emptyQuery = metadata.type === 'query' && typeof metatype === 'function' && value !== null && typeof value === 'object' && Object.keys(value).length === 0;
    if (!emptyQuery) return super.transform(value, metadata);
    if (this.emptyQueryOk.get(metatype) === true) return new metatype();
    const result = await super.transform(value, metadata);
    const fresh = result instanceof metatype && JSON.stringify(result) === JSON.stringify(new metatype());
    this.emptyQueryOk.set(metatype, fresh);
    return result;
  }
}

export function createValidationPipe(): ValidationPipe {
  return new BerthValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    exceptionFactory: validationError,
  });
}
