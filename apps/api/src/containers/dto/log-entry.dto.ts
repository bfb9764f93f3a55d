import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class LogEntryDto {
  @ApiProperty({ enum: ['stdout', 'stderr'], description: 'TTY containers have one stream, reported as stdout' }) stream: 'stdout' | 'stderr';
  @ApiPropertyOptional({ example: '2026-11-27T13:00:00.123456789Z', description: "The engine's timestamp, with timestamps=true" }) timestamp?: string;
  @ApiProperty({ example: 'listening on :8080', description: 'The line, without its newline' }) line: string;
}

export class ContainerLogsResponseDto {
  @ApiProperty({ type: [LogEntryDto] }) entries: LogEntryDto[];
  @ApiProperty({ description: 'More than 50,000 lines matched without tail: only the newest were kept' }) truncated: boolean;
}
