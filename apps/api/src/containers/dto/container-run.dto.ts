import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsIP, IsNumber, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested,
} from 'class-validator';
import { ABSOLUTE_PATH, CONTAINER_NAME, IsEnvMap, IsLabelMap, NETWORK_NAME, USER } from './validators';

export const PULL_POLICIES = ['missing', 'always', 'never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];
export const RESTART_POLICIES = ['no', 'always', 'unless-stopped', 'on-failure'] as const;
export const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
export const MOUNT_TYPES = ['volume', 'bind'] as const;

/** Engine minimum for a memory limit. */
export const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

export class PortMappingDto {
  @ApiProperty({ example: 8080, minimum: 1, maximum: 65535, description: 'Port inside the container' })
  @IsInt() @Min(1) @Max(65535)
  containerPort: number;

  @ApiPropertyOptional({ example: 18080, minimum: 1, maximum: 65535, description: 'Host port; omit for a free port chosen by the engine' })
  @IsOptional() @IsInt() @Min(1) @Max(65535)
  hostPort?: number;

  @ApiPropertyOptional({ example: '127.0.0.1', default: '127.0.0.1', description: 'Host address to publish on (loopback unless said otherwise)' })
  @IsOptional() @IsIP()
  hostIp?: string;

  @ApiPropertyOptional({ enum: PROTOCOLS, default: 'tcp' })
  @IsOptional() @IsIn(PROTOCOLS)
  protocol?: (typeof PROTOCOLS)[number];
}

export class MountDto {
  @ApiProperty({ enum: MOUNT_TYPES, description: 'volume: a named volume (created, labelled for the team, if missing); bind: a host path' })
  @IsIn(MOUNT_TYPES)
  type: (typeof MOUNT_TYPES)[number];

  @ApiProperty({ example: 'app-data', description: 'Volume name, or absolute host path for a bind mount' })
  @IsString() @MinLength(1) @MaxLength(4096)
  source: string;

  @ApiProperty({ example: '/data', description: 'Absolute path inside the container' })
  @IsString() @Matches(ABSOLUTE_PATH, { message: 'target must be an absolute path without ".." segments' })
  target: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional() @IsBoolean()
  readOnly?: boolean;
}

export class RestartPolicyDto {
  @ApiProperty({ enum: RESTART_POLICIES, example: 'unless-stopped' })
  @IsIn(RESTART_POLICIES)
  name: (typeof RESTART_POLICIES)[number];

  @ApiPropertyOptional({ minimum: 0, maximum: 1000, description: 'Only with on-failure: give up after this many restarts (0 = never give up)' })
  @IsOptional() @IsInt() @Min(0) @Max(1000)
  maximumRetryCount?: number;
}

export class HealthcheckDto {
  @ApiProperty({
    example: ['CMD', 'wget', '-q', '-O-', 'http://127.0.0.1:8080/'],
    description: '["CMD", program, args…] runs the program directly; ["CMD-SHELL", "command"] runs it with the container\'s own /bin/sh; ["NONE"] disables the image\'s healthcheck',
  })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(100) @IsString({ each: true }) @MaxLength(4096, { each: true })
  test: string[];

  @ApiPropertyOptional({ minimum: 1, maximum: 3600, example: 10 })
  @IsOptional() @IsInt() @Min(1) @Max(3600)
  intervalSeconds?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 3600, example: 5 })
  @IsOptional() @IsInt() @Min(1) @Max(3600)
  timeoutSeconds?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 100, example: 3 })
  @IsOptional() @IsInt() @Min(1) @Max(100)
  retries?: number;

  @ApiPropertyOptional({ minimum: 0, maximum: 3600, example: 0 })
  @IsOptional() @IsInt() @Min(0) @Max(3600)
  startPeriodSeconds?: number;
}

/** The body of POST /containers: the seed's `docker run`, as typed fields. Nothing here reaches a shell. */
export class ContainerRunDto {
  @ApiProperty({ example: 'nginx:1.27', description: '[registry[:port]/]repo[:tag|@digest]; no tag means latest' })
  @IsString() @MinLength(1) @MaxLength(512)
  image: string;

  @ApiPropertyOptional({ example: 'web-1', description: 'Container name (unique on the host); the engine picks one when omitted' })
  @IsOptional() @IsString() @Matches(CONTAINER_NAME, { message: 'name must start with a letter or digit and contain only letters, digits, "_", "." and "-" (at most 128)' })
  name?: string;

  @ApiPropertyOptional({ example: ['httpd', '-f', '-p', '8080'], description: "Program and arguments (exec form; replaces the image's CMD)" })
  @IsOptional() @IsArray() @ArrayMaxSize(1000) @IsString({ each: true }) @MaxLength(65_536, { each: true })
  command?: string[];

  @ApiPropertyOptional({ example: ['/bin/sh', '-c'], description: "Replaces the image's ENTRYPOINT; [] clears it" })
  @IsOptional() @IsArray() @ArrayMaxSize(100) @IsString({ each: true }) @MaxLength(4096, { each: true })
  entrypoint?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { LOG_LEVEL: 'debug' }, description: 'Environment; keys are POSIX names' })
  @IsOptional() @IsEnvMap()
  env?: Record<string, string>;

  @ApiPropertyOptional({ example: '/app' })
  @IsOptional() @IsString() @Matches(ABSOLUTE_PATH, { message: 'workingDir must be an absolute path without ".." segments' })
  workingDir?: string;

  @ApiPropertyOptional({ example: '1000:1000', description: 'user, user:group, uid or uid:gid' })
  @IsOptional() @IsString() @Matches(USER, { message: 'user must be user, user:group, uid or uid:gid' })
  user?: string;

  @ApiPropertyOptional({ default: false, description: 'Allocate a pseudo-TTY (logs are then one raw stream, not stdout/stderr)' })
  @IsOptional() @IsBoolean()
  tty?: boolean;

  @ApiPropertyOptional({ type: [PortMappingDto] })
  @IsOptional() @IsArray() @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => PortMappingDto)
  ports?: PortMappingDto[];

  @ApiPropertyOptional({ type: [MountDto], description: 'Named volumes and bind mounts' })
  @IsOptional() @IsArray() @ArrayMaxSize(100) @ValidateNested({ each: true }) @Type(() => MountDto)
  volumes?: MountDto[];

  @ApiPropertyOptional({ example: ['bridge'], description: 'Networks to attach (default: bridge). The first is used at creation, the rest are connected before start' })
  @IsOptional() @IsArray() @ArrayMaxSize(20) @Matches(NETWORK_NAME, { each: true, message: 'each network must be a network name' })
  networks?: string[];

  @ApiPropertyOptional({ type: RestartPolicyDto })
  @IsOptional() @ValidateNested() @Type(() => RestartPolicyDto)
  restartPolicy?: RestartPolicyDto;

  @ApiPropertyOptional({ example: 268435456, minimum: MIN_MEMORY_BYTES, description: 'Memory limit in bytes' })
  @IsOptional() @IsInt() @Min(MIN_MEMORY_BYTES) @Max(Number.MAX_SAFE_INTEGER)
  memoryBytes?: number;

  @ApiPropertyOptional({ example: 0.5, minimum: 0.01, description: 'CPU limit in CPUs (0.5 = half a CPU)' })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.01) @Max(1024)
  cpus?: number;

  @ApiPropertyOptional({ type: HealthcheckDto })
  @IsOptional() @ValidateNested() @Type(() => HealthcheckDto)
  healthcheck?: HealthcheckDto;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { 'com.example.owner': 'payments' }, description: 'Labels; io.berth.* keys are reserved' })
  @IsOptional() @IsLabelMap()
  labels?: Record<string, string>;

  @ApiPropertyOptional({ default: false, description: 'Remove the container when it exits (docker run --rm)' })
  @IsOptional() @IsBoolean()
  autoRemove?: boolean;

  @ApiPropertyOptional({ enum: PULL_POLICIES, default: 'missing', description: 'missing: pull only when not present locally; always: pull first; never: fail if missing' })
  @IsOptional() @IsIn(PULL_POLICIES)
  pull?: PullPolicy;
}
