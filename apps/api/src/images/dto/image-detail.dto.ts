import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ImageConfigDto {
  @ApiProperty({ type: [String], example: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] }) env: string[];
  @ApiPropertyOptional({ type: [String], example: ['sh'] }) cmd?: string[];
  @ApiPropertyOptional({ type: [String] }) entrypoint?: string[];
  @ApiPropertyOptional({ example: '/app' }) workingDir?: string;
  @ApiPropertyOptional({ example: 'app' }) user?: string;
  @ApiProperty({ type: [String], example: ['8080/tcp'] }) exposedPorts: string[];
  @ApiProperty({ type: [String], example: ['/data'] }) volumes: string[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) labels: Record<string, string>;
  @ApiPropertyOptional({ example: 'SIGTERM' }) stopSignal?: string;
}

export class ImageHistoryEntryDto {
  @ApiProperty({ example: 'sha256:3f57…', description: '"<missing>" for layers built elsewhere' }) id: string;
  @ApiProperty() created: string;
  @ApiProperty({ example: '/bin/sh -c #(nop)  CMD ["sh"]' }) createdBy: string;
  @ApiProperty() size: number;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiPropertyOptional() comment?: string;
}

export class ImageDetailDto {
  @ApiProperty({ example: 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741' }) id: string;
  @ApiProperty({ type: [String] }) repoTags: string[];
  @ApiProperty({ type: [String] }) repoDigests: string[];
  @ApiPropertyOptional() parent?: string;
  @ApiProperty() created: string;
  @ApiProperty({ description: 'Bytes' }) size: number;
  @ApiProperty({ example: 'amd64' }) architecture: string;
  @ApiProperty({ example: 'linux' }) os: string;
  @ApiPropertyOptional() author?: string;
  @ApiPropertyOptional() comment?: string;
  @ApiProperty({ type: ImageConfigDto }) config: ImageConfigDto;
  @ApiProperty({ type: [ImageHistoryEntryDto], description: 'Newest layer first, as `docker history` shows it' }) history: ImageHistoryEntryDto[];
}
