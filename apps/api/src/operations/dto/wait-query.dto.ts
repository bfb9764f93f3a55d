import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

export class WaitQueryDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 600, description: 'Seconds to wait for the operation to finish' })
  @IsOptional() @Transform(({ value }) => (value === '' ? undefined : Number(value))) @IsInt() @Min(0) @Max(600)
  wait?: number;
}
