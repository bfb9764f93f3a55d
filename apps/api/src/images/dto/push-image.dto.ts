import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

export class PushImageDto {
  @ApiPropertyOptional({ format: 'uuid', description: "Which of the team's registries' credentials to use (default: the team's registry for the reference's host)" })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9a-f-]{36}$/i, { message: 'registryId must be a UUID' })
  registryId?: string;
}

export class PushResultDto {
  @ApiProperty({ format: 'uuid' }) operationId: string;
  @ApiProperty({ example: 'registry.example.com:5000/team/app:1.2' }) reference: string;
  @ApiProperty({ example: 'ci' }) registry: string;
  @ApiPropertyOptional({ example: 'sha256:b0c5ec67afcedf46dd334fa95a537d35b6a9d2acd22a3d59b30e64ee0fa31d66' }) digest?: string;
  @ApiPropertyOptional({ example: 736, description: 'Manifest size in bytes' }) size?: number;
}
