import { ApiPropertyOptional, ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';

export class ScaleDto {
  @ApiProperty({ minimum: 0, maximum: 100 }) @IsInt() @Min(0) @Max(100)
  replicas: number;
}

export class RollbackDto {
  @ApiPropertyOptional({ description: 'Revision to roll back to (default: the one before the current)' }) @IsOptional() @IsInt() @Min(1)
  revision?: number;
}

export class MigrateDto {
  @ApiPropertyOptional({ description: 'Revision whose migrate step to run (default: current)' }) @IsOptional() @IsInt() @Min(1)
  revision?: number;
}

const toBool = ({ value }: { value: unknown }) => (value === 'true' || value === '1' || value === true ? true : value === 'false' || value === '0' || value === false ? false : value);

export class ApplyQueryDto {
  @ApiPropertyOptional({ description: 'Return the diff and plan without changing anything' }) @IsOptional() @Transform(toBool) @IsBoolean()
  dryRun?: boolean;
}

export class DeleteQueryDto {
  @ApiPropertyOptional({ description: 'Also delete the definition, revisions and operations' }) @IsOptional() @Transform(toBool) @IsBoolean()
  purge?: boolean;
}

export class ListDeploymentsQueryDto {
  @ApiPropertyOptional({ default: 50, maximum: 200 }) @IsOptional() @Transform(({ value }) => Number(value)) @IsInt() @Min(1) @Max(200)
  limit?: number;
  @ApiPropertyOptional({ default: 0, maximum: 1_000_000 }) @IsOptional() @Transform(({ value }) => Number(value)) @IsInt() @Min(0) @Max(1_000_000)
  offset?: number;
  @ApiPropertyOptional({ description: 'Only names containing this' }) @IsOptional() @IsString() @MaxLength(63) @Matches(/^[a-z0-9-]*$/)
  name?: string;
  @ApiPropertyOptional({ description: 'Include live replica status (one engine call for all)' }) @IsOptional() @Transform(toBool) @IsBoolean()
  status?: boolean;
}

export class ListOperationsQueryDto {
  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 500, description: 'At most this many operations, newest first' }) @IsOptional() @Transform(({ value }) => Number(value)) @IsInt() @Min(1) @Max(500)
  limit?: number;
}
