import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { ABSOLUTE_PATH, IsEnvMap, USER } from './validators';

/** POST /containers/:id/exec waits this long by default (timeoutSeconds), and at most the max. */
export const EXEC_TIMEOUT_DEFAULT_SECONDS = 300;
export const EXEC_TIMEOUT_MAX_SECONDS = 3600;

export class ContainerExecDto {
  @ApiProperty({ example: ['cat', '/etc/hostname'], description: 'Program and arguments, run directly (no shell unless you name one)' })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(1000) @IsString({ each: true }) @MaxLength(65_536, { each: true })
  cmd: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { DEBUG: '1' } })
  @IsOptional() @IsEnvMap()
  env?: Record<string, string>;

  @ApiPropertyOptional({ example: '/tmp' })
  @IsOptional() @IsString() @Matches(ABSOLUTE_PATH, { message: 'workdir must be an absolute path without ".." segments' })
  workdir?: string;

  @ApiPropertyOptional({ example: 'nobody' })
  @IsOptional() @IsString() @Matches(USER, { message: 'user must be user, user:group, uid or uid:gid' })
  user?: string;

  @ApiPropertyOptional({
    minimum: 1,
    maximum: EXEC_TIMEOUT_MAX_SECONDS,
    default: EXEC_TIMEOUT_DEFAULT_SECONDS,
    description: 'Seconds to wait for the command to finish; past it the answer is 504 TIMEOUT (the engine cannot kill an exec: its process keeps running until it exits or the container stops)',
  })
  @IsOptional() @IsInt() @Min(1) @Max(EXEC_TIMEOUT_MAX_SECONDS)
  timeoutSeconds?: number;
}

export class ContainerExecResultDto {
  @ApiProperty({ example: 0 }) exitCode: number;
  @ApiProperty({ example: 'web-1\n' }) stdout: string;
  @ApiProperty({ example: '' }) stderr: string;
  @ApiProperty({ description: 'True when stdout or stderr exceeded 1 MiB and was cut' }) truncated: boolean;
}

export class ContainerAdoptDto {
  @ApiProperty({ format: 'uuid', description: 'The team that will own the container' })
  @IsString() @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, { message: 'teamId must be a UUID' })
  teamId: string;
}
