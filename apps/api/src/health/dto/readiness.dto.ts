import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class DependencyCheckDto {
  @ApiProperty({ enum: ['up', 'down'] })
  status: 'up' | 'down';
  @ApiProperty({ description: 'Round-trip time of the check in milliseconds', example: 1.7 })
  latencyMs: number;
  @ApiPropertyOptional({ description: 'Why the dependency is down', example: 'connect ENOENT /var/run/docker.sock' })
  error?: string;
}

export class ReadinessChecksDto {
  @ApiProperty({ type: DependencyCheckDto })
  database: DependencyCheckDto;
  @ApiProperty({ type: DependencyCheckDto })
  docker: DependencyCheckDto;
}

export class ReadinessDto {
  @ApiProperty({ enum: ['ready', 'not_ready'] })
  status: 'ready' | 'not_ready';
  @ApiProperty({ type: ReadinessChecksDto })
  checks: ReadinessChecksDto;
}

export class LivenessDto {
  @ApiProperty({ enum: ['ok'] })
  status: 'ok';
  @ApiProperty({ description: 'Seconds since the process started', example: 12.5 })
  uptimeSeconds: number;
}
