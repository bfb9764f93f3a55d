import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ContainerOwnershipDto, PortDto } from './container-summary.dto';

export class ContainerHealthDto {
  @ApiProperty({ enum: ['starting', 'healthy', 'unhealthy', 'none'] }) status: string;
  @ApiProperty() failingStreak: number;
  @ApiPropertyOptional({ description: 'Output of the last probe' }) lastOutput?: string;
}

export class ContainerStateDto {
  @ApiProperty({ enum: ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'] }) status: string;
  @ApiProperty() running: boolean;
  @ApiProperty() paused: boolean;
  @ApiProperty() restarting: boolean;
  @ApiProperty() oomKilled: boolean;
  @ApiProperty() dead: boolean;
  @ApiProperty({ description: 'Main process id on the host (0 when not running)' }) pid: number;
  @ApiProperty() exitCode: number;
  @ApiPropertyOptional({ description: "The engine's error for the last start, if any" }) error?: string;
  @ApiPropertyOptional() startedAt?: string;
  @ApiPropertyOptional() finishedAt?: string;
  @ApiPropertyOptional({ type: ContainerHealthDto }) health?: ContainerHealthDto;
}

export class ContainerMountDto {
  @ApiProperty({ enum: ['bind', 'volume', 'tmpfs', 'npipe', 'image', 'cluster'] }) type: string;
  @ApiPropertyOptional({ description: 'Volume name' }) name?: string;
  @ApiProperty() source: string;
  @ApiProperty() destination: string;
  @ApiProperty() readOnly: boolean;
}

export class ContainerNetworkDto {
  @ApiProperty({ example: 'bridge' }) name: string;
  @ApiProperty() ipAddress: string;
  @ApiProperty() gateway: string;
  @ApiProperty() macAddress: string;
}

export class ContainerConfigDto {
  @ApiProperty({ type: [String] }) command: string[];
  @ApiProperty({ type: [String] }) entrypoint: string[];
  @ApiProperty({ type: [String], description: 'NAME=value, as the engine stores them' }) env: string[];
  @ApiProperty() workingDir: string;
  @ApiProperty() user: string;
  @ApiProperty() tty: boolean;
  @ApiProperty({ example: 'no', enum: ['no', 'always', 'unless-stopped', 'on-failure'] }) restartPolicy: string;
  @ApiProperty() maximumRetryCount: number;
  @ApiPropertyOptional({ description: 'Memory limit in bytes' }) memoryBytes?: number;
  @ApiPropertyOptional({ description: 'CPU limit in CPUs' }) cpus?: number;
  @ApiProperty() autoRemove: boolean;
  @ApiProperty({ example: 'bridge' }) networkMode: string;
}

/** `docker inspect`, trimmed to what a user needs; `raw` has the engine's whole document. */
export class ContainerResponseDto {
  @ApiProperty() id: string;
  @ApiProperty({ example: 'web-1' }) name: string;
  @ApiProperty({ example: 'nginx:1.27', description: 'The image reference the container was created from' }) image: string;
  @ApiProperty({ example: 'sha256:…' }) imageId: string;
  @ApiProperty() created: string;
  @ApiProperty({ type: ContainerStateDto }) state: ContainerStateDto;
  @ApiProperty() restartCount: number;
  @ApiProperty({ type: [PortDto] }) ports: PortDto[];
  @ApiProperty({ type: [ContainerMountDto] }) mounts: ContainerMountDto[];
  @ApiProperty({ type: [ContainerNetworkDto] }) networks: ContainerNetworkDto[];
  @ApiProperty({ type: ContainerConfigDto }) config: ContainerConfigDto;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) labels: Record<string, string>;
  @ApiProperty({ type: ContainerOwnershipDto }) berth: ContainerOwnershipDto;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: "The engine's full inspect document (GET /containers/:id only, unless raw=false)" })
  raw?: Record<string, unknown>;
}
