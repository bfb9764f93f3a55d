import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min,
  MinLength, ValidateNested,
} from 'class-validator';
import { IsStringMap } from '../../common/is-string-map.validator';
import { HostOptionsDto } from '../../containers/dto/container-run.dto';

export const DEPLOYMENT_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

export class PortSpecDto {
  @ApiProperty({ minimum: 1, maximum: 65535, example: 8080 })
  @IsInt() @Min(1) @Max(65535)
  containerPort: number;

  @ApiPropertyOptional({ enum: ['tcp', 'udp'], default: 'tcp' })
  @IsOptional() @IsIn(['tcp', 'udp'])
  protocol?: 'tcp' | 'udp';

  @ApiPropertyOptional({ minimum: 1, maximum: 65535, description: 'Fixed host port. Omit to let the engine pick one (required for more than one replica).' })
  @IsOptional() @IsInt() @Min(1) @Max(65535)
  hostPort?: number;

  @ApiPropertyOptional({ default: '127.0.0.1', description: 'Host address to publish on' })
  @IsOptional() @Matches(IPV4, { message: 'hostIp must be an IPv4 address' })
  hostIp?: string;
}

export class VolumeSpecDto {
  @ApiPropertyOptional({ enum: ['volume', 'bind'], default: 'volume' })
  @IsOptional() @IsIn(['volume', 'bind'])
  type?: 'volume' | 'bind';

  @ApiProperty({ description: 'Named volume, or absolute host path for a bind mount (subject to the team policy)', example: 'web-data' })
  @IsString() @MinLength(1) @MaxLength(255) @Matches(/^(\/[^\0]*|[A-Za-z0-9][A-Za-z0-9_.-]*)$/, { message: 'source must be a volume name or an absolute path' })
  source: string;

  @ApiProperty({ example: '/data' })
  @IsString() @Matches(/^\/[^\0]*$/, { message: 'target must be an absolute path' }) @MaxLength(255)
  target: string;

  @ApiPropertyOptional({ default: false })
  @IsOptional() @IsBoolean()
  readOnly?: boolean;
}

export class HealthcheckSpecDto {
  @ApiProperty({ type: [String], description: 'Command run inside the container (exec form, no shell)', example: ['wget', '-q', '-O-', 'http://127.0.0.1:8080/'] })
  @IsArray() @ArrayMaxSize(64) @IsString({ each: true }) @MinLength(1, { each: true })
  command: string[];

  @ApiPropertyOptional({ default: 5, minimum: 1, maximum: 3600 }) @IsOptional() @IsNumber() @Min(1) @Max(3600)
  intervalSeconds?: number;

  @ApiPropertyOptional({ default: 5, minimum: 1, maximum: 3600 }) @IsOptional() @IsNumber() @Min(1) @Max(3600)
  timeoutSeconds?: number;

  @ApiPropertyOptional({ default: 3, minimum: 1, maximum: 100 }) @IsOptional() @IsInt() @Min(1) @Max(100)
  retries?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0, maximum: 3600 }) @IsOptional() @IsNumber() @Min(0) @Max(3600)
  startPeriodSeconds?: number;
}

export class ResourcesSpecDto {
  @ApiPropertyOptional({ description: 'Memory limit in bytes (minimum 6 MiB)', example: 268435456 })
  @IsOptional() @IsInt() @Min(6 * 1024 * 1024)
  memoryBytes?: number;

  @ApiPropertyOptional({ description: 'CPU limit in cores', example: 0.5 })
  @IsOptional() @IsNumber() @Min(0.01) @Max(1024)
  cpus?: number;
}

export class RestartPolicySpecDto {
  @ApiProperty({ enum: ['always', 'on-failure', 'never'], description: 'When Berth replaces an exited replica: always, only after a non-zero exit, or never (a removed replica is always replaced)' })
  @IsIn(['always', 'on-failure', 'never'])
  name: 'always' | 'on-failure' | 'never';
}

export class MigrateSpecDto {
  @ApiProperty({ type: [String], description: 'Command of the one-off migration container, run from the new image before replicas are replaced', example: ['sh', '-c', './migrate up'] })
  @IsArray() @ArrayMaxSize(64) @IsString({ each: true })
  command: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Environment overrides for the migration' })
  @IsOptional() @IsStringMap(ENV_KEY)
  env?: Record<string, string>;

  @ApiPropertyOptional({ default: 300, minimum: 1, maximum: 86400 })
  @IsOptional() @IsInt() @Min(1) @Max(86400)
  timeoutSeconds?: number;
}

export class StrategySpecDto {
  @ApiProperty({ enum: ['rolling', 'recreate'], default: 'rolling' })
  @IsIn(['rolling', 'recreate'])
  type: 'rolling' | 'recreate';

  @ApiPropertyOptional({ default: 1, minimum: 0, description: 'Extra replicas allowed above the desired count during a rolling update' })
  @IsOptional() @IsInt() @Min(0) @Max(100)
  maxSurge?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0, description: 'Replicas allowed to be unavailable during a rolling update' })
  @IsOptional() @IsInt() @Min(0) @Max(100)
  maxUnavailable?: number;

  @ApiPropertyOptional({ default: 0, minimum: 0, description: 'Without a healthcheck, how long a replica must run to count as ready' })
  @IsOptional() @IsNumber() @Min(0) @Max(3600)
  minReadySeconds?: number;

  @ApiPropertyOptional({ default: 300, minimum: 1, description: 'How long the new revision has to become ready' })
  @IsOptional() @IsInt() @Min(1) @Max(86400)
  progressDeadlineSeconds?: number;

  @ApiPropertyOptional({ default: true, description: 'Roll back to the last good revision when the deadline passes' })
  @IsOptional() @IsBoolean()
  autoRollback?: boolean;
}

/**
 * What a team declares should run. Accepted as JSON or YAML (Content-Type: application/yaml).
 * The host-level options (privileged, pidMode, capAdd, devices, sysctls, securityOpt…) are those
 * of POST /containers and go through the team's container policy like them.
 */
export class DeploymentSpecDto extends HostOptionsDto {
  @ApiProperty({ description: 'Image reference: [registry[:port]/]repo[:tag|@digest]', example: '127.0.0.1:5000/team/web:1.4.2' })
  @IsString() @MinLength(1) @MaxLength(512)
  image: string;

  @ApiPropertyOptional({ description: "Name of one of the team's registries to pull with (default: matched by the image's registry host)" })
  @IsOptional() @IsString() @MaxLength(128)
  registry?: string;

  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayMaxSize(256) @IsString({ each: true })
  command?: string[];

  @ApiPropertyOptional({ type: [String] }) @IsOptional() @IsArray() @ArrayMaxSize(64) @IsString({ each: true })
  entrypoint?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { LOG_LEVEL: 'info' } })
  @IsOptional() @IsStringMap(ENV_KEY)
  env?: Record<string, string>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Encrypted at rest and never returned (shown as "***")', example: { DB_PASSWORD: 's3cret' } })
  @IsOptional() @IsStringMap(ENV_KEY)
  secretEnv?: Record<string, string>;

  @ApiPropertyOptional({ type: [PortSpecDto] }) @IsOptional() @IsArray() @ArrayMaxSize(64) @IsObject({ each: true }) @ValidateNested({ each: true }) @Type(() => PortSpecDto)
  ports?: PortSpecDto[];

  @ApiPropertyOptional({ type: [VolumeSpecDto] }) @IsOptional() @IsArray() @ArrayMaxSize(64) @IsObject({ each: true }) @ValidateNested({ each: true }) @Type(() => VolumeSpecDto)
  volumes?: VolumeSpecDto[];

  @ApiPropertyOptional({ type: [String], description: 'Networks to attach (must exist); ["host"] is the host network (policy: allow.hostNetwork)' })
  @IsOptional() @IsArray() @ArrayMaxSize(16) @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { each: true, message: 'each network must be a network name' })
  networks?: string[];

  @ApiPropertyOptional({ default: 1, minimum: 0, maximum: 100 })
  @IsOptional() @IsInt() @Min(0) @Max(100)
  replicas?: number;

  @ApiPropertyOptional({ type: ResourcesSpecDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => ResourcesSpecDto)
  resources?: ResourcesSpecDto;

  @ApiPropertyOptional({ type: HealthcheckSpecDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => HealthcheckSpecDto)
  healthcheck?: HealthcheckSpecDto;

  @ApiPropertyOptional({ type: RestartPolicySpecDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => RestartPolicySpecDto)
  restartPolicy?: RestartPolicySpecDto;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'Extra container labels (io.berth.* is reserved)' })
  @IsOptional() @IsObject() @IsStringMap(/^(?!io\.berth\.)[A-Za-z0-9][A-Za-z0-9._\/-]*$/)
  labels?: Record<string, string>;

  @ApiPropertyOptional({ type: MigrateSpecDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => MigrateSpecDto)
  migrate?: MigrateSpecDto;

  @ApiPropertyOptional({ type: StrategySpecDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => StrategySpecDto)
  strategy?: StrategySpecDto;

  @ApiPropertyOptional({ description: 'Why this change was made (kept on the revision)', maxLength: 512 })
  @IsOptional() @IsString() @MaxLength(512)
  changeCause?: string;
}

/** POST /deployments: the spec plus the new deployment's name. */
export class DeploymentCreateDto extends DeploymentSpecDto {
  @ApiProperty({ example: 'web', description: 'DNS label: lowercase letters, digits and -, at most 63 characters' })
  @IsString() @Matches(DEPLOYMENT_NAME, { message: 'name must be a DNS label (lowercase letters, digits and -, 1-63 characters, starting and ending with a letter or digit)' })
  name: string;
}
