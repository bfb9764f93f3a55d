import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { ToArray, ToBoolean } from './query-transforms';

export const LABEL_FILTER = /^[A-Za-z0-9][A-Za-z0-9._\-/]*(=[^\s]*)?$/;

export class ListImagesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'team/app*', description: "Docker's reference filter: a repository[:tag] pattern with * wildcards" })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  @Matches(/^[A-Za-z0-9._\-/:@*]+$/, { message: 'reference may contain letters, digits, . _ - / : @ and *' })
  reference?: string;

  @ApiPropertyOptional({ description: 'true: only untagged images; false: only tagged ones' })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  dangling?: boolean;

  @ApiPropertyOptional({ type: [String], example: ['io.berth.managed=true'], description: 'key or key=value; repeat for several (all must match)' })
  @IsOptional()
  @ToArray()
  @IsString({ each: true })
  @Matches(LABEL_FILTER, { each: true, message: 'label must be key or key=value' })
  label?: string[];
}

export class ImageSummaryDto {
  @ApiProperty({ example: 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741' }) id: string;
  @ApiProperty({ type: [String], example: ['registry.example.com:5000/team/app:1.2'] }) repoTags: string[];
  @ApiProperty({ type: [String], example: ['registry.example.com:5000/team/app@sha256:b0c5…'] }) repoDigests: string[];
  @ApiProperty({ example: '2026-11-27T12:00:00.000Z' }) created: string;
  @ApiProperty({ description: 'Bytes' }) size: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) labels: Record<string, string>;
  @ApiProperty({ description: 'Whether the image has no tag' }) dangling: boolean;
}
