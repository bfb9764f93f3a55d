import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsDateString, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import type { ApiToken } from '../../generated/prisma/client';
import type { TokenRole } from '../../generated/prisma/enums';

export const TOKEN_ROLES: TokenRole[] = ['viewer', 'deployer', 'admin', 'owner'];
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export class TokenCreateDto {
  @ApiProperty({ example: 'ci-web', description: 'What the token is for (shown in listings and the audit log)' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  @Matches(/^[\x20-\x7e]+$/, { message: 'name must be printable ASCII' })
  name: string;

  @ApiProperty({ enum: TOKEN_ROLES, description: 'viewer < deployer < admin < owner; at most the caller’s own role, owner only by an owner' })
  @IsIn(TOKEN_ROLES)
  role: TokenRole;

  @ApiPropertyOptional({ example: '2027-06-30T00:00:00Z', description: 'When the token stops working (ISO 8601, in the future)' })
  @IsOptional()
  @IsDateString({ strict: true }, { message: 'expiresAt must be an ISO 8601 date-time' })
  expiresAt?: string;

  @ApiPropertyOptional({ type: [String], example: ['web'], description: 'Narrow the token to these deployments (a pipeline token); omitted or empty: every deployment of the team' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(DNS_LABEL, { each: true, message: 'each deployment must be a deployment name (DNS label)' })
  deployments?: string[];
}

/** A token as listings show it: never the secret or its hash. */
export class TokenResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) teamId: string;
  @ApiProperty({ example: 'ci-web' }) name: string;
  @ApiProperty({ enum: TOKEN_ROLES }) role: TokenRole;
  @ApiProperty({ example: 'brt_3f9a1c0b', description: 'The first characters of the secret, to recognise it' }) prefix: string;
  @ApiProperty({ type: [String], description: 'Deployments the token is limited to; empty: all' }) deployments: string[];
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional({ nullable: true, type: String }) lastUsedAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) expiresAt: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) revokedAt: string | null;

  static from(t: ApiToken): TokenResponseDto {
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return {
      id: t.id,
      teamId: t.teamId,
      name: t.name,
      role: t.role,
      prefix: t.prefix,
      deployments: t.deployments,
      createdAt: t.createdAt.toISOString(),
      lastUsedAt: iso(t.lastUsedAt),
      expiresAt: iso(t.expiresAt),
      revokedAt: iso(t.revokedAt),
    };
  }
}

export class TokenCreatedDto extends TokenResponseDto {
  @ApiProperty({ example: 'brt_…', description: 'The secret: shown this once, never again' }) token: string;
}
