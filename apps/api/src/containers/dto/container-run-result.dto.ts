import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ContainerResponseDto } from './container-response.dto';
import { LogEntryDto } from './log-entry.dto';

export class ContainerRunImageDto {
  @ApiProperty({ example: 'registry.example.com/team/app:1.2', description: 'The normalized reference that was run' }) reference: string;
  @ApiProperty({ example: 'sha256:…' }) id: string;
  @ApiProperty({ description: 'Pulled during this run' }) pulled: boolean;
}

export class ContainerRunResultDto {
  @ApiProperty({ format: 'uuid', description: 'The container_run operation (GET /operations/:id has every step); also in X-Operation-Id' }) operationId: string;
  @ApiProperty({ type: ContainerRunImageDto }) image: ContainerRunImageDto;
  @ApiProperty({ type: ContainerResponseDto, description: 'The container after start (or, with wait=true, after it exited)' }) container: ContainerResponseDto;
  @ApiPropertyOptional({ description: 'With wait=true: the program\'s exit code' }) exitCode?: number;
  @ApiPropertyOptional({ type: [LogEntryDto], description: 'With wait=true: the last `tail` log lines' }) logs?: LogEntryDto[];
  @ApiProperty({ description: 'The container was removed after it exited (autoRemove with wait=true)' }) removed: boolean;
}
