import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class TagImageDto {
  @ApiProperty({ example: 'registry.example.com:5000/team/app:1.2', description: 'The new name: [registry[:port]/]repo[:tag] (no digest)' })
  @IsString()
  @MaxLength(512)
  target: string;
}

export class TagImageResponseDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: 'registry.example.com:5000/team/app:1.2' }) reference: string;
}
