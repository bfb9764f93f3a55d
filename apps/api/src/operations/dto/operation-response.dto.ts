import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { OperationWithSteps } from '../operations.repository';

export class OperationStepDto {
  @ApiProperty() at: string;
  @ApiProperty({ enum: ['info', 'warn', 'error'] }) level: string;
  @ApiProperty() message: string;
  @ApiPropertyOptional({ description: 'Structured detail of the step' }) data?: unknown;
}

export class OperationResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ['rollout', 'run', 'stop', 'restart', 'scale', 'migrate', 'rollback', 'delete', 'pull', 'build', 'push', 'container_run'] })
  kind: string;
  @ApiProperty({ enum: ['pending', 'running', 'succeeded', 'failed', 'cancelled'] }) status: string;
  @ApiProperty({ description: 'What the operation was asked to do' }) params: unknown;
  @ApiPropertyOptional({ description: 'What it produced, when it succeeded' }) result?: unknown;
  @ApiPropertyOptional({ description: 'Why it failed' }) error?: string;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional() startedAt?: string;
  @ApiPropertyOptional() finishedAt?: string;
  @ApiProperty({ type: [OperationStepDto] }) steps: OperationStepDto[];

  static from(op: OperationWithSteps): OperationResponseDto {
    return {
      id: op.id,
      kind: op.kind,
      status: op.status,
      params: op.params,
      ...(op.result !== null ? { result: op.result } : {}),
      ...(op.error ? { error: op.error } : {}),
      createdAt: op.createdAt.toISOString(),
      ...(op.startedAt ? { startedAt: op.startedAt.toISOString() } : {}),
      ...(op.finishedAt ? { finishedAt: op.finishedAt.toISOString() } : {}),
      steps: op.steps.map((s) => ({ at: s.at.toISOString(), level: s.level, message: s.message, ...(s.data !== null ? { data: s.data } : {}) })),
    };
  }
}
