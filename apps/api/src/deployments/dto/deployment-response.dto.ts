import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { OperationResponseDto } from '../../operations/dto/operation-response.dto';

export class ConditionDto {
  @ApiProperty({ enum: ['Available', 'Progressing', 'ReplicaFailure', 'EngineUnavailable'] }) type: string;
  @ApiProperty({ enum: ['True', 'False', 'Unknown'] }) status: string;
  @ApiProperty({ example: 'NewRevisionAvailable', description: 'e.g. NewRevisionAvailable, RolloutInProgress, ProgressDeadlineExceeded, MigrationFailed, ImagePullFailed, CrashLoopBackOff, MinimumReplicasAvailable' })
  reason: string;
  @ApiProperty() message: string;
  @ApiProperty() lastTransitionTime: string;
}

export class ReplicaStatusDto {
  @ApiProperty() containerId: string;
  @ApiProperty({ example: 'web-r2-s0-a1b2c3' }) name: string;
  @ApiProperty() slot: number;
  @ApiProperty() revision: number;
  @ApiProperty({ example: 'running' }) state: string;
  @ApiProperty({ enum: ['healthy', 'unhealthy', 'starting', 'none'] }) health: string;
  @ApiProperty() ready: boolean;
  @ApiProperty({ description: 'Times Berth replaced this slot since the last rollout' }) restartCount: number;
}

export class DeploymentStatusDto {
  @ApiProperty({ description: 'Replicas that should run (0 while stopped)' }) desired: number;
  @ApiProperty() running: number;
  @ApiProperty() ready: number;
  @ApiProperty({ description: 'Replicas of the target revision' }) updated: number;
  @ApiProperty() unavailable: number;
  @ApiProperty() stopped: boolean;
  @ApiProperty({ type: [ReplicaStatusDto] }) replicas: ReplicaStatusDto[];
  @ApiProperty({ type: [ConditionDto] }) conditions: ConditionDto[];
}

export class DeploymentResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'web' }) name: string;
  @ApiProperty({ description: 'Optimistic-concurrency version (ETag / If-Match)' }) version: number;
  @ApiProperty() replicas: number;
  @ApiPropertyOptional({ description: 'Last revision that rolled out successfully' }) currentRevision?: number;
  @ApiPropertyOptional({ description: 'Revision being rolled out, or last attempted' }) targetRevision?: number;
  @ApiProperty({ description: 'The target revision\'s spec; secret values shown as "***"', type: 'object', additionalProperties: true }) spec: Record<string, unknown>;
  @ApiPropertyOptional({ type: DeploymentStatusDto }) status?: DeploymentStatusDto;
  @ApiPropertyOptional() deletedAt?: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class SpecChangeDto {
  @ApiProperty({ example: 'env.LOG_LEVEL' }) path: string;
  @ApiPropertyOptional() from?: unknown;
  @ApiPropertyOptional() to?: unknown;
}

export class ApplyResultDto {
  @ApiProperty({ enum: ['created', 'updated', 'scaled', 'unchanged', 'dry-run'] }) result: string;
  @ApiProperty({ type: DeploymentResponseDto }) deployment: DeploymentResponseDto;
  @ApiPropertyOptional({ description: 'The revision this apply created' }) revision?: number;
  @ApiPropertyOptional({ type: OperationResponseDto }) operation?: OperationResponseDto;
  @ApiProperty({ type: [SpecChangeDto], description: 'What changed against the latest revision' }) changes: SpecChangeDto[];
  @ApiPropertyOptional({ description: 'dryRun: what would happen' }) plan?: string;
}

export class DeploymentListDto {
  @ApiProperty({ type: [DeploymentResponseDto] }) items: DeploymentResponseDto[];
  @ApiProperty() total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}

export class RevisionResponseDto {
  @ApiProperty() number: number;
  @ApiProperty({ type: 'object', additionalProperties: true }) spec: Record<string, unknown>;
  @ApiPropertyOptional({ description: 'Image digest (or image id) resolved at rollout' }) imageDigest?: string;
  @ApiPropertyOptional() authorTokenId?: string;
  @ApiPropertyOptional() changeCause?: string;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional({ type: [SpecChangeDto], description: 'Difference to the previous revision' }) changes?: SpecChangeDto[];
}
