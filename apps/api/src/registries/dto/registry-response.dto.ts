import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { Registry } from '../../generated/prisma/client';

/** A registry as every route shows it: the secret itself is never included, only whether there is one. */
export class RegistryResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) teamId: string;
  @ApiProperty({ example: 'ghcr' }) name: string;
  @ApiProperty({ example: 'registry.example.com:5000' }) serverAddress: string;
  @ApiPropertyOptional({ example: 'ci-bot' }) username?: string;
  @ApiProperty({ description: 'Whether a password/token is stored (it is never returned)' }) hasPassword: boolean;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;

  static from(r: Registry): RegistryResponseDto {
    return {
      id: r.id,
      teamId: r.teamId,
      name: r.name,
      serverAddress: r.serverAddress,
      ...(r.username ? { username: r.username } : {}),
      hasPassword: r.secretCiphertext !== null,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    };
  }
}

export class RegistryVerifyResponseDto {
  @ApiProperty({ description: 'Whether the registry accepted the stored credentials' }) ok: boolean;
  @ApiProperty({ example: 'registry.example.com:5000' }) serverAddress: string;
  @ApiProperty({ example: 'Login Succeeded', description: "The engine's status, or the registry's error" }) message: string;
}
