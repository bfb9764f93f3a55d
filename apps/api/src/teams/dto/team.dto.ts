import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

export const TEAM_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const TEAM_NAME_MESSAGE = 'name must be a DNS label: 1-63 lower-case letters, digits or "-", starting and ending with a letter or digit';

export class TeamCreateDto {
  @ApiProperty({ example: 'payments', description: 'Unique: a DNS label (lower-case letters, digits, -; at most 63)' })
  @IsString()
  @Matches(TEAM_NAME, { message: TEAM_NAME_MESSAGE })
  name: string;
}

export class TeamUpdateDto {
  @ApiProperty({ example: 'payments-eu' })
  @IsString()
  @Matches(TEAM_NAME, { message: TEAM_NAME_MESSAGE })
  name: string;
}

export class TeamResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'payments' }) name: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;

  static from(t: { id: string; name: string; createdAt: Date; updatedAt: Date }): TeamResponseDto {
    return { id: t.id, name: t.name, createdAt: t.createdAt.toISOString(), updatedAt: t.updatedAt.toISOString() };
  }
}
