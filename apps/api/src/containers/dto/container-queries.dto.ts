import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { IsSignal, ToArray, ToBoolean, ToInt } from './validators';

export const CONTAINER_STATES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'] as const;

/** `key` or `key=value`, as `docker ps --filter label=…`. */
const LABEL_FILTER = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}(=[^\0\n]{0,4096})?$/;

export class ContainerListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ default: false, description: 'Include stopped containers (docker ps -a)' })
  @IsOptional() @ToBoolean() @IsBoolean()
  all?: boolean;

  @ApiPropertyOptional({ description: 'Only containers of this deployment (io.berth.deployment label)' })
  @IsOptional() @IsString() @MaxLength(128) @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { message: 'deployment must be a deployment name' })
  deployment?: string;

  @ApiPropertyOptional({ type: [String], description: 'key or key=value; repeat for several (all must match)', example: ['com.example.owner=payments'] })
  @IsOptional() @ToArray() @IsArray() @Matches(LABEL_FILTER, { each: true, message: 'each label filter must be key or key=value' })
  label?: string[];

  @ApiPropertyOptional({ enum: CONTAINER_STATES, isArray: true, description: 'Only containers in these states (implies all=true)' })
  @IsOptional() @ToArray() @IsArray() @IsIn(CONTAINER_STATES, { each: true })
  status?: (typeof CONTAINER_STATES)[number][];

  @ApiPropertyOptional({ description: 'Only containers whose name contains this' })
  @IsOptional() @IsString() @Matches(/^[a-zA-Z0-9_.-]{1,128}$/, { message: 'name must contain only letters, digits, "_", "." and "-"' })
  name?: string;
}

export class ContainerRunQueryDto {
  @ApiPropertyOptional({ default: false, description: 'Block until the program exits; answer with its exit code and last log lines' })
  @IsOptional() @ToBoolean() @IsBoolean()
  wait?: boolean;

  @ApiPropertyOptional({ default: 100, minimum: 0, maximum: 10_000, description: 'With wait=true: how many of the last log lines to return' })
  @IsOptional() @ToInt() @IsInt() @Min(0) @Max(10_000)
  tail?: number;
}

export class StopQueryDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 3600, description: 'Seconds to wait after SIGTERM (or the stop signal) before SIGKILL; default: the container\'s stop timeout (10 s)' })
  @IsOptional() @ToInt() @IsInt() @Min(0) @Max(3600)
  timeout?: number;
}

export class KillQueryDto {
  @ApiPropertyOptional({ default: 'SIGKILL', example: 'SIGTERM', description: 'Signal name (SIGTERM, TERM…) or number (1–64)' })
  @IsOptional() @IsString() @MaxLength(16) @IsSignal()
  signal?: string;
}

export class RemoveQueryDto {
  @ApiPropertyOptional({ default: false, description: 'Kill and remove a running container' })
  @IsOptional() @ToBoolean() @IsBoolean()
  force?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Also remove anonymous volumes' })
  @IsOptional() @ToBoolean() @IsBoolean()
  volumes?: boolean;
}

export class ContainerGetQueryDto {
  @ApiPropertyOptional({ default: true, description: "Include the engine's full inspect document as `raw`" })
  @IsOptional() @ToBoolean() @IsBoolean()
  raw?: boolean;
}
