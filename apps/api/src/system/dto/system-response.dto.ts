import { ApiProperty } from '@nestjs/swagger';

export class ContainerCountsDto {
  @ApiProperty() total: number;
  @ApiProperty() running: number;
  @ApiProperty() paused: number;
  @ApiProperty() stopped: number;
}

export class EngineInfoDto {
  @ApiProperty({ example: '20.10.24+dfsg1', description: 'Docker Engine version' })
  version: string;
  @ApiProperty({ example: '1.41', description: 'Engine API version' })
  apiVersion: string;
  @ApiProperty({ example: '1.12' })
  minApiVersion: string;
  @ApiProperty({ example: 'Debian GNU/Linux 12 (bookworm)' })
  os: string;
  @ApiProperty({ example: 'linux' })
  osType: string;
  @ApiProperty({ example: 'x86_64' })
  architecture: string;
  @ApiProperty({ example: '6.1.0-18-amd64' })
  kernelVersion: string;
  @ApiProperty({ example: 'overlay2' })
  storageDriver: string;
  @ApiProperty({ type: ContainerCountsDto })
  containers: ContainerCountsDto;
  @ApiProperty({ description: 'Images on the host' })
  images: number;
}

export class BerthInfoDto {
  @ApiProperty({ example: '0.1.0' })
  version: string;
  @ApiProperty({ enum: ['embedded', 'server'], description: 'embedded: PGlite in-process; server: DATABASE_URL' })
  databaseMode: 'embedded' | 'server';
}

export class SystemResponseDto {
  @ApiProperty({ type: EngineInfoDto })
  engine: EngineInfoDto;
  @ApiProperty({ type: BerthInfoDto })
  berth: BerthInfoDto;
}
