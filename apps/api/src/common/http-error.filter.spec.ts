import { BadRequestException, NotFoundException } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { IsInt, Max, ValidateNested, IsString } from 'class-validator';
import { Type } from 'class-transformer';
import { validateSync } from 'class-validator';
import { DomainError } from './domain-error';
import { toDomainError } from './http-error.filter';
import { flattenValidationErrors } from './validation';

class Port {
  @IsInt() @Max(65535) containerPort: number;
}
class Spec {
  @IsString() name: string;
  @ValidateNested({ each: true }) @Type(() => Port) ports: Port[];
}

describe('error mapping', () => {
  it('names nested fields and rules in validation details', () => {
    const spec = plainToInstance(Spec, { name: 3, ports: [{ containerPort: 80 }, { containerPort: 70000 }] });
    expect(flattenValidationErrors(validateSync(spec))).toEqual([
      { field: 'name', rule: 'isString', message: 'name must be a string' },
      { field: 'ports.1.containerPort', rule: 'max', message: 'ports.1.containerPort must not be greater than 65535' },
    ]);
  });

  it('maps Prisma unique violations to 409 and missing records to 404', () => {
    expect(toDomainError({ code: 'P2002', meta: { target: ['team_id', 'name'] } })).toMatchObject({ code: 'CONFLICT', status: 409, message: expect.stringContaining('team_id, name') });
    expect(toDomainError({ code: 'P2025' })).toMatchObject({ code: 'NOT_FOUND', status: 404 });
  });

  it('maps body-parser errors to 413 and 400', () => {
    expect(toDomainError({ type: 'entity.too.large', status: 413, limit: 1024 })).toMatchObject({ status: 413 });
    expect(toDomainError({ type: 'entity.parse.failed', status: 400, message: 'Unexpected end' })).toMatchObject({ status: 400 });
  });

  it('keeps Nest HTTP exceptions’ status and hides unknown errors behind a 500', () => {
    expect(toDomainError(new NotFoundException('Cannot GET /x'))).toMatchObject({ code: 'NOT_FOUND', message: 'Cannot GET /x' });
    expect(toDomainError(new BadRequestException(['a', 'b']))).toMatchObject({ code: 'BAD_REQUEST', message: 'a; b' });
    const internal = toDomainError(new Error('secret detail'));
    expect(internal).toMatchObject({ code: 'INTERNAL', status: 500, message: 'Internal server error' });
    expect(toDomainError(new DomainError('CONFLICT', 'x'))).toMatchObject({ code: 'CONFLICT' });
  });
});
