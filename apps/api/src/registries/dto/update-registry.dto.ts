import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { REGISTRY_NAME, REGISTRY_USERNAME } from './create-registry.dto';
import { IsRegistryAddress } from './is-registry-address';

/**
 * Fields present replace the stored ones. `username: null` / `password: null` remove them.
 * Changing `serverAddress` of a registry that has a password requires the password again:
 * stored secrets are never sent to a new address.
 */
export class UpdateRegistryDto {
  @ApiPropertyOptional({ example: 'ghcr' })
  @IsOptional()
  @IsString()
  @Matches(REGISTRY_NAME, { message: 'name must be 1-63 lower-case letters, digits, ".", "_" or "-", starting with a letter or digit' })
  name?: string;

  @ApiPropertyOptional({ example: 'registry.example.com:5000' })
  @IsOptional()
  @IsString()
  @IsRegistryAddress()
  serverAddress?: string;

  @ApiPropertyOptional({ nullable: true, type: String, description: 'null removes the username (and the password)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  @Matches(REGISTRY_USERNAME, { message: 'username must not contain ":" or whitespace' })
  username?: string | null;

  @ApiPropertyOptional({ nullable: true, type: String, writeOnly: true, description: 'New password or token; null removes it. Never returned' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  password?: string | null;
}
