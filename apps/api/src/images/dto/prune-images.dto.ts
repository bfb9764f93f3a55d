import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { LABEL_FILTER } from './list-images.dto';
import { ToArray } from './query-transforms';

export class PruneImagesDto {
  @ApiPropertyOptional({ description: 'Also remove tagged images that no container uses (default: only untagged ones)' })
  @IsOptional()
  @IsBoolean()
  all?: boolean;

  @ApiPropertyOptional({ example: '24h', description: 'Only images created before this: a Go duration (e.g. 10m, 24h) or an RFC 3339 timestamp' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^(\d+(ns|us|µs|ms|s|m|h))+$|^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/, { message: 'until must be a duration like 24h or an RFC 3339 timestamp' })
  until?: string;

  @ApiPropertyOptional({ type: [String], description: 'key or key=value; only images with all these labels' })
  @IsOptional()
  @ToArray()
  @IsString({ each: true })
  @Matches(LABEL_FILTER, { each: true, message: 'label must be key or key=value' })
  label?: string[];
}

export class PruneImagesResponseDto {
  @ApiProperty({ type: [String] }) deleted: string[];
  @ApiProperty({ description: 'Bytes freed' }) spaceReclaimed: number;
}
