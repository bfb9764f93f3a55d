import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional } from 'class-validator';
import { ToBoolean } from './query-transforms';

export class RemoveImageQueryDto {
  @ApiPropertyOptional({ description: 'Remove even if stopped containers use it or it has several tags (never while a running container uses it)' })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  force?: boolean;
}

export class RemoveImageResponseDto {
  @ApiProperty({ type: [String], description: 'Names removed from the image' }) untagged: string[];
  @ApiProperty({ type: [String], description: 'Image and layer ids deleted' }) deleted: string[];
  @ApiProperty({ description: "true when another team also uses the image: only this team's claim on it was released, the engine was not touched" })
  released: boolean;
}
