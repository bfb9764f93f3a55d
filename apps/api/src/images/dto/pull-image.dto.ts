import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class PullImageDto {
  @ApiProperty({ example: 'registry.example.com:5000/team/app:1.2', description: '[registry[:port]/]repo[:tag|@digest]; no tag means latest' })
  @IsString()
  @MaxLength(512)
  image: string;
}

export class PullResultDto {
  @ApiProperty({ format: 'uuid', description: 'The pull operation (GET /operations/:id); also the X-Operation-Id header' }) operationId: string;
  @ApiProperty({ example: 'registry.example.com:5000/team/app:1.2' }) reference: string;
  @ApiProperty({ example: 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741', description: 'Local image id' }) id: string;
  @ApiPropertyOptional({ example: 'sha256:b0c5ec67afcedf46dd334fa95a537d35b6a9d2acd22a3d59b30e64ee0fa31d66', description: 'The manifest digest the registry resolved' })
  digest?: string;
  @ApiPropertyOptional({ example: 'Downloaded newer image for registry.example.com:5000/team/app:1.2' }) status?: string;
  @ApiPropertyOptional({ example: 'ci', description: 'The team registry whose credentials were used' }) registry?: string;
}
