import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class CpuStatsDto {
  @ApiProperty({ example: 12.5, description: 'Percent of one CPU (100 = one full CPU; up to onlineCpus × 100), over the sampling interval' }) percent: number;
  @ApiProperty({ example: 2 }) onlineCpus: number;
  @ApiProperty({ description: 'Total CPU time consumed, nanoseconds' }) totalUsageNs: number;
}

export class MemoryStatsDto {
  @ApiProperty({ description: 'Bytes in use, excluding the reclaimable page cache (as docker stats reports)' }) usageBytes: number;
  @ApiProperty({ description: 'Limit in bytes (the host memory when unlimited)' }) limitBytes: number;
  @ApiProperty({ example: 1.4 }) percent: number;
}

export class NetworkStatsDto {
  @ApiProperty() rxBytes: number;
  @ApiProperty() txBytes: number;
  @ApiProperty() rxPackets: number;
  @ApiProperty() txPackets: number;
}

export class BlockIoStatsDto {
  @ApiProperty() readBytes: number;
  @ApiProperty() writeBytes: number;
}

/** One stats sample, computed from the engine's two CPU readings. */
export class ContainerStatsDto {
  @ApiProperty({ description: 'When the engine took the sample' }) read: string;
  @ApiPropertyOptional({ description: 'When it took the previous reading the CPU percentage is measured against' }) preread?: string;
  @ApiProperty({ type: CpuStatsDto }) cpu: CpuStatsDto;
  @ApiProperty({ type: MemoryStatsDto }) memory: MemoryStatsDto;
  @ApiProperty({ type: NetworkStatsDto }) network: NetworkStatsDto;
  @ApiProperty({ type: BlockIoStatsDto }) blockIo: BlockIoStatsDto;
  @ApiProperty({ description: 'Processes and threads in the container' }) pids: number;
}

export class ContainerTopDto {
  @ApiProperty({ type: [String], example: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'] }) titles: string[];
  @ApiProperty({ type: 'array', items: { type: 'array', items: { type: 'string' } } }) processes: string[][];
}
