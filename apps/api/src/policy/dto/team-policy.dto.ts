import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsInt, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { ABSOLUTE_PATH } from '../../containers/dto/validators';

/** CAP_NET_ADMIN, NET_ADMIN, net_admin, or ALL. */
export const CAPABILITY = /^(CAP_)?[A-Za-z][A-Za-z_]{1,31}$/;
const MAX_BYTES = Number.MAX_SAFE_INTEGER;

export class PolicyAllowDto {
  @ApiPropertyOptional({ default: false, description: 'HostConfig.Privileged' }) @IsOptional() @IsBoolean()
  privileged?: boolean;

  @ApiPropertyOptional({ default: false, description: 'pidMode: host' }) @IsOptional() @IsBoolean()
  hostPid?: boolean;

  @ApiPropertyOptional({ default: false, description: 'ipcMode: host' }) @IsOptional() @IsBoolean()
  hostIpc?: boolean;

  @ApiPropertyOptional({ default: false, description: 'networks: ["host"] (network mode host)' }) @IsOptional() @IsBoolean()
  hostNetwork?: boolean;

  @ApiPropertyOptional({ default: false, description: 'utsMode: host' }) @IsOptional() @IsBoolean()
  hostUts?: boolean;

  @ApiPropertyOptional({ default: false, description: 'usernsMode: host' }) @IsOptional() @IsBoolean()
  hostUserns?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Host devices' }) @IsOptional() @IsBoolean()
  devices?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Sysctls outside the safe namespaced set' }) @IsOptional() @IsBoolean()
  unsafeSysctls?: boolean;

  @ApiPropertyOptional({ default: false, description: 'seccomp=unconfined or a custom profile, apparmor=unconfined, label=disable or SELinux labels, systempaths=unconfined' })
  @IsOptional() @IsBoolean()
  unconfined?: boolean;

  @ApiPropertyOptional({ default: false, description: 'Host ports below 1024' }) @IsOptional() @IsBoolean()
  privilegedPorts?: boolean;

  @ApiPropertyOptional({ type: [String], example: ['NET_ADMIN'], description: "Capabilities allowed in capAdd besides Docker's default set; ALL allows any" })
  @IsOptional() @IsArray() @ArrayMaxSize(64) @Matches(CAPABILITY, { each: true, message: 'each capability must be a capability name such as NET_ADMIN' })
  capabilities?: string[];
}

export class HostPortRangeDto {
  @ApiProperty({ minimum: 1, maximum: 65535, example: 1024 }) @IsInt() @Min(1) @Max(65535)
  min: number;

  @ApiProperty({ minimum: 1, maximum: 65535, example: 65535 }) @IsInt() @Min(1) @Max(65535)
  max: number;
}

export class PolicyLimitsDto {
  @ApiPropertyOptional({ type: 'integer', nullable: true, example: 8589934592, description: 'Largest memory limit per container, bytes (null: no limit)' })
  @IsOptional() @IsInt() @Min(0) @Max(MAX_BYTES)
  memoryBytes?: number | null;

  @ApiPropertyOptional({ type: 'number', nullable: true, example: 4, description: 'Largest CPU limit per container (null: no limit)' })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(1024)
  cpus?: number | null;

  @ApiPropertyOptional({ default: false, description: 'Every container must set a memory limit (makes quotas.totalMemoryBytes binding)' })
  @IsOptional() @IsBoolean()
  requireMemoryLimit?: boolean;
}

export class PolicyQuotasDto {
  @ApiPropertyOptional({ type: 'integer', nullable: true, example: 100, description: 'Containers the team may have on the engine, any state (null: no quota)' })
  @IsOptional() @IsInt() @Min(0) @Max(100_000)
  containers?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, example: 20, description: 'Replicas per deployment (null: no quota)' })
  @IsOptional() @IsInt() @Min(0) @Max(100_000)
  replicasPerDeployment?: number | null;

  @ApiPropertyOptional({ type: 'integer', nullable: true, example: 34359738368, description: "Sum of the memory limits of the team's running containers, bytes (null: no quota)" })
  @IsOptional() @IsInt() @Min(0) @Max(MAX_BYTES)
  totalMemoryBytes?: number | null;
}

/** PUT /teams/:id/policy: replaces the team's policy; whatever is left out takes its default. */
export class TeamPolicyDto {
  @ApiPropertyOptional({ type: PolicyAllowDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => PolicyAllowDto)
  allow?: PolicyAllowDto;

  @ApiPropertyOptional({ type: [String], example: ['/srv/team-a'], description: 'Host path prefixes the team may bind-mount (never the Docker socket)' })
  @IsOptional() @IsArray() @ArrayMaxSize(64) @IsString({ each: true }) @MaxLength(4096, { each: true })
  @Matches(ABSOLUTE_PATH, { each: true, message: 'each bindMounts entry must be an absolute host path without ".." segments' })
  bindMounts?: string[];

  @ApiPropertyOptional({ type: HostPortRangeDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => HostPortRangeDto)
  hostPorts?: HostPortRangeDto;

  @ApiPropertyOptional({ type: PolicyLimitsDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => PolicyLimitsDto)
  limits?: PolicyLimitsDto;

  @ApiPropertyOptional({ type: PolicyQuotasDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => PolicyQuotasDto)
  quotas?: PolicyQuotasDto;
}

class EffectiveAllowDto {
  @ApiProperty() privileged: boolean;
  @ApiProperty() hostPid: boolean;
  @ApiProperty() hostIpc: boolean;
  @ApiProperty() hostNetwork: boolean;
  @ApiProperty() hostUts: boolean;
  @ApiProperty() hostUserns: boolean;
  @ApiProperty() devices: boolean;
  @ApiProperty() unsafeSysctls: boolean;
  @ApiProperty() unconfined: boolean;
  @ApiProperty() privilegedPorts: boolean;
  @ApiProperty({ type: [String] }) capabilities: string[];
}

class EffectiveLimitsDto {
  @ApiProperty({ type: 'integer', nullable: true }) memoryBytes: number | null;
  @ApiProperty({ type: 'number', nullable: true }) cpus: number | null;
  @ApiProperty() requireMemoryLimit: boolean;
}

class EffectiveQuotasDto {
  @ApiProperty({ type: 'integer', nullable: true }) containers: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) replicasPerDeployment: number | null;
  @ApiProperty({ type: 'integer', nullable: true }) totalMemoryBytes: number | null;
}

export class EffectivePolicyDto {
  @ApiProperty({ type: EffectiveAllowDto }) allow: EffectiveAllowDto;
  @ApiProperty({ type: [String] }) bindMounts: string[];
  @ApiProperty({ type: HostPortRangeDto }) hostPorts: HostPortRangeDto;
  @ApiProperty({ type: EffectiveLimitsDto }) limits: EffectiveLimitsDto;
  @ApiProperty({ type: EffectiveQuotasDto }) quotas: EffectiveQuotasDto;
}

export class TeamPolicyResponseDto {
  @ApiProperty({ format: 'uuid' }) teamId: string;
  @ApiProperty({ example: 'payments' }) team: string;
  @ApiProperty({ type: EffectivePolicyDto, description: 'The policy in force: what the owner set, defaults for the rest' })
  policy: EffectivePolicyDto;
}
