import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ProgressErrorDto {
  @ApiProperty({ example: 401 }) statusCode: number;
  @ApiProperty({ example: 'REGISTRY_AUTH_FAILED' }) code: string;
  @ApiProperty({ example: 'Registry 127.0.0.1:5000 rejected the credentials: unauthorized: authentication required' }) message: string;
  @ApiPropertyOptional({ description: 'Build only: the failing step (1-based)', example: 2 }) step?: number;
  @ApiPropertyOptional({ description: 'Build only: how many steps the Dockerfile has', example: 3 }) totalSteps?: number;
  @ApiPropertyOptional({ description: 'Build only: the failing instruction', example: 'RUN make' }) instruction?: string;
}

/**
 * One line of an `application/x-ndjson` progress stream (pull, push, build). The last line is
 * always `result` (with the operation's result) or `error`.
 *
 * - `status`: a registry/engine message ("Pulling from team/app", "Digest: sha256:…").
 * - `layer`: a layer's status ("Downloading", "Pull complete", "Pushed"…) with `current`/`total` bytes.
 * - `step`: a build step starts ("Step 2/5 : RUN make" → step 2, totalSteps 5, instruction "RUN make").
 * - `output`: build output text.
 */
export class ProgressLineDto {
  @ApiProperty({ enum: ['status', 'layer', 'step', 'output', 'result', 'error'] }) type: 'status' | 'layer' | 'step' | 'output' | 'result' | 'error';
  @ApiPropertyOptional({ format: 'uuid', description: 'On result and error lines' }) operationId?: string;
  @ApiPropertyOptional({ example: 'Pulling from team/app' }) message?: string;
  @ApiPropertyOptional({ example: '4f4fb700ef54' }) layer?: string;
  @ApiPropertyOptional({ example: 'Downloading' }) status?: string;
  @ApiPropertyOptional({ example: 1048576 }) current?: number;
  @ApiPropertyOptional({ example: 2811478 }) total?: number;
  @ApiPropertyOptional({ example: 2 }) step?: number;
  @ApiPropertyOptional({ example: 5 }) totalSteps?: number;
  @ApiPropertyOptional({ example: 'RUN make' }) instruction?: string;
  @ApiPropertyOptional({ example: 'make: Nothing to be done for all.\n' }) text?: string;
  @ApiPropertyOptional({ description: 'On the result line: the same object the JSON (non-streaming) response returns' }) result?: unknown;
  @ApiPropertyOptional({ type: ProgressErrorDto }) error?: ProgressErrorDto;
}
