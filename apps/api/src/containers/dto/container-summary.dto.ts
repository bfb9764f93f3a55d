import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class PortDto {
  @ApiProperty({ example: 8080, description: 'Port inside the container' }) privatePort: number;
  @ApiPropertyOptional({ example: 49153, description: 'Published host port, when published' }) publicPort?: number;
  @ApiPropertyOptional({ example: '127.0.0.1', description: 'Host address the port is published on' }) ip?: string;
  @ApiProperty({ enum: ['tcp', 'udp', 'sctp'] }) type: string;
}

/** Who a container belongs to, as Berth sees it. */
export class ContainerOwnershipDto {
  @ApiProperty({ description: 'Created by Berth (io.berth.managed label)' }) managed: boolean;
  @ApiPropertyOptional({ format: 'uuid', description: 'Owning team: its io.berth.team label, or the team it was adopted into' }) team?: string;
  @ApiProperty({ description: 'Owned through an explicit adoption rather than a label' }) adopted: boolean;
  @ApiPropertyOptional({ description: 'io.berth.deployment label, for containers of a deployment' }) deployment?: string;
  @ApiPropertyOptional({ description: 'io.berth.revision label, for containers of a deployment' }) revision?: string;
}

/** One row of `docker ps`. */
export class ContainerSummaryDto {
  @ApiProperty({ example: '4f1c2e…', description: 'Full container id' }) id: string;
  @ApiProperty({ example: 'web-1' }) name: string;
  @ApiProperty({ example: 'nginx:1.27' }) image: string;
  @ApiProperty({ example: 'sha256:…' }) imageId: string;
  @ApiProperty({ example: 'httpd -f -p 8080' }) command: string;
  @ApiProperty({ example: '2026-11-27T13:00:00.000Z' }) created: string;
  @ApiProperty({ enum: ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'] }) state: string;
  @ApiProperty({ example: 'Up 5 minutes', description: "The engine's human-readable status" }) status: string;
  @ApiProperty({ type: [PortDto] }) ports: PortDto[];
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) labels: Record<string, string>;
  @ApiProperty({ type: ContainerOwnershipDto }) berth: ContainerOwnershipDto;
}
