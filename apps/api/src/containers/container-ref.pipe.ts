import { Injectable, PipeTransform } from '@nestjs/common';
import { DomainError } from '../common/domain-error';
import { CONTAINER_REF } from './dto/validators';

/** `:id` is a full id, a short id or a name; anything else (slashes, dots first, 129+ chars) is a 400. */
@Injectable()
export class ContainerRefPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (typeof value === 'string' && CONTAINER_REF.test(value)) return value;
    const message = 'id must be a container id, short id or name (letters, digits, "_", "." and "-")';
    throw new DomainError('VALIDATION_FAILED', `Validation failed: ${message}`, [{ field: 'id', rule: 'containerRef', message }]);
  }
}
