import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { IsRegistryAddress } from './is-registry-address';

export const REGISTRY_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const REGISTRY_USERNAME = /^[^:\s]+$/;

export class CreateRegistryDto {
  @ApiProperty({ example: 'ghcr', description: 'Unique within the team: lower-case letters, digits, . _ -; at most 63' })
  @IsString()
  @Matches(REGISTRY_NAME, { message: 'name must be 1-63 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit' })
  name: string;

  @ApiProperty({ example: 'registry.example.com:5000', description: 'host[:port]; Docker Hub may be given as docker.io' })
  @IsString()
  @IsRegistryAddress()
  serverAddress: string;

  @ApiPropertyOptional({ example: 'ci-bot', description: 'Required with password' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  @Matches(REGISTRY_USERNAME, { message: 'username must not contain ":" or whitespace' })
  username?: string;

  @ApiPropertyOptional({ writeOnly: true, description: 'Password or access token. Stored encrypted (AES-256-GCM); never returned' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  password?: string;
}
