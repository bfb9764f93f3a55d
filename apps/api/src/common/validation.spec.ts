import 'reflect-metadata';
import { IsInt, IsOptional, Min } from 'class-validator';
import { Transform } from 'class-transformer';
import { createValidationPipe } from './validation';

class OptionalQuery {
  @IsOptional() @Transform(({ value }) => Number(value)) @IsInt() @Min(1)
  limit?: number;
}

class RequiredQuery {
  @IsInt()
  limit!: number;
}

const query = (metatype: new () => object) => ({ type: 'query' as const, metatype });

describe('the global validation pipe', () => {
  it('answers an empty query with a fresh DTO instance, every time', async () => {
    const pipe = createValidationPipe();
    const first = await pipe.transform({}, query(OptionalQuery));
    const second = await pipe.transform({}, query(OptionalQuery));
    expect(first).toBeInstanceOf(OptionalQuery);
    expect(second).toBeInstanceOf(OptionalQuery);
    expect(second).not.toBe(first);
    expect(second).toEqual({});
  });

  it('still validates and transforms every non-empty query after an empty one', async () => {
    const pipe = createValidationPipe();
    await pipe.transform({}, query(OptionalQuery));
    expect(await pipe.transform({ limit: '5' }, query(OptionalQuery))).toEqual({ limit: 5 });
    await expect(pipe.transform({ limit: '0' }, query(OptionalQuery))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(pipe.transform({ other: '1' }, query(OptionalQuery))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('never shortcuts a DTO that refuses an empty query', async () => {
    const pipe = createValidationPipe();
    await expect(pipe.transform({}, query(RequiredQuery))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(pipe.transform({}, query(RequiredQuery))).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
