import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsIP, IsNumber, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested,
} from 'class-validator';
import {
  ABSOLUTE_PATH, CAPABILITY, CONTAINER_NAME, DEVICE_PERMISSIONS, HOST_OR_PRIVATE, IPC_MODES, IsEnvMap, IsLabelMap, IsSysctlMap, NETWORK_NAME, SECURITY_OPT, USER,
} from './validators';

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

export class DeviceDto {
  @ApiProperty({ example: '/dev/fuse', description: 'Device on the host' })
  @IsString() @MaxLength(4096) @Matches(ABSOLUTE_PATH, { message: 'hostPath must be an absolute path without ".." segments' })
  hostPath: string;

  @ApiPropertyOptional({ example: '/dev/fuse', description: 'Path inside the container (default: hostPath)' })
  @IsOptional() @IsString() @MaxLength(4096) @Matches(ABSOLUTE_PATH, { message: 'containerPath must be an absolute path without ".." segments' })
  containerPath?: string;

  @ApiPropertyOptional({ example: 'rwm', default: 'rwm', description: 'cgroup permissions: r, w, m' })
  @IsOptional() @IsString() @Matches(DEVICE_PERMISSIONS, { message: 'permissions must be made of r, w and m' })
  permissions?: string;
}

/**
 * Host-level options, all subject to the team's container policy (403 naming the rule unless the
 * owner allowed them for the team; see docs/access-control.md). Shared by POST /containers and
 * deployment specs.
 */
export class HostOptionsDto {
  @ApiPropertyOptional({ default: false, description: 'Run privileged (policy: allow.privileged)' })
  @IsOptional() @IsBoolean()
  privileged?: boolean;

  @ApiPropertyOptional({ enum: HOST_OR_PRIVATE, default: 'private', description: "host: share the host's PID namespace (policy: allow.hostPid)" })
  @IsOptional() @IsIn(HOST_OR_PRIVATE)
  pidMode?: (typeof HOST_OR_PRIVATE)[number];

  @ApiPropertyOptional({ enum: IPC_MODES, description: "host: share the host's IPC namespace (policy: allow.hostIpc)" })
  @IsOptional() @IsIn(IPC_MODES)
  ipcMode?: (typeof IPC_MODES)[number];

  @ApiPropertyOptional({ enum: HOST_OR_PRIVATE, default: 'private', description: "host: share the host's UTS namespace (policy: allow.hostUts)" })
  @IsOptional() @IsIn(HOST_OR_PRIVATE)
  utsMode?: (typeof HOST_OR_PRIVATE)[number];

  @ApiPropertyOptional({ enum: HOST_OR_PRIVATE, default: 'private', description: "host: the host's user namespace when the engine remaps users (policy: allow.hostUserns)" })
  @IsOptional() @IsIn(HOST_OR_PRIVATE)
  usernsMode?: (typeof HOST_OR_PRIVATE)[number];

  @ApiPropertyOptional({ type: [String], example: ['NET_ADMIN'], description: "Capabilities to add; outside Docker's default set needs policy allow.capabilities" })
  @IsOptional() @IsArray() @ArrayMaxSize(64) @Matches(CAPABILITY, { each: true, message: 'each capAdd entry must be a capability name such as NET_ADMIN' })
  capAdd?: string[];

  @ApiPropertyOptional({ type: [String], example: ['NET_RAW'], description: 'Capabilities to drop (always allowed)' })
  @IsOptional() @IsArray() @ArrayMaxSize(64) @Matches(CAPABILITY, { each: true, message: 'each capDrop entry must be a capability name such as NET_RAW' })
  capDrop?: string[];

  @ApiPropertyOptional({ type: [DeviceDto], description: 'Host devices (policy: allow.devices)' })
  @IsOptional() @IsArray() @ArrayMaxSize(64) @IsObject({ each: true }) @ValidateNested({ each: true }) @Type(() => DeviceDto)
  devices?: DeviceDto[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { 'net.ipv4.ip_local_port_range': '1024 65000' }, description: 'Namespaced sysctls; outside the safe set needs policy allow.unsafeSysctls' })
  @IsOptional() @IsSysctlMap()
  sysctls?: Record<string, string>;

  @ApiPropertyOptional({ type: [String], example: ['no-new-privileges'], description: 'no-new-privileges, seccomp=…, apparmor=…, label=…, systempaths=unconfined; unconfined ones need policy allow.unconfined' })
  @IsOptional() @IsArray() @ArrayMaxSize(32) @IsString({ each: true }) @MaxLength(65_536, { each: true }) @Matches(SECURITY_OPT, { each: true, message: 'each securityOpt entry must be no-new-privileges, seccomp=…, apparmor=…, label=… or systempaths=unconfined' })
  securityOpt?: string[];
}

/** The body of POST /containers: the seed's `docker run`, as typed fields. Nothing here reaches a shell. */
export class ContainerRunDto extends HostOptionsDto {
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
  @IsOptional() @IsArray() @ArrayMaxSize(100) @IsObject({ each: true }) @ValidateNested({ each: true }) @Type(() => PortMappingDto)
  ports?: PortMappingDto[];

  @ApiPropertyOptional({ type: [MountDto], description: "Named volumes and bind mounts (a bind needs a host path prefix the team's policy allows)" })
  @IsOptional() @IsArray() @ArrayMaxSize(100) @IsObject({ each: true }) @ValidateNested({ each: true }) @Type(() => MountDto)
  volumes?: MountDto[];

  @ApiPropertyOptional({ example: ['bridge'], description: 'Networks to attach (default: bridge). The first is used at creation, the rest are connected before start; ["host"] is the host network (policy: allow.hostNetwork)' })
  @IsOptional() @IsArray() @ArrayMaxSize(20) @Matches(NETWORK_NAME, { each: true, message: 'each network must be a network name' })
  networks?: string[];

  @ApiPropertyOptional({ type: RestartPolicyDto })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => RestartPolicyDto)
  restartPolicy?: RestartPolicyDto;

  @ApiPropertyOptional({ example: 268435456, minimum: MIN_MEMORY_BYTES, description: 'Memory limit in bytes' })
  @IsOptional() @IsInt() @Min(MIN_MEMORY_BYTES) @Max(Number.MAX_SAFE_INTEGER)
  memoryBytes?: number;

  @ApiPropertyOptional({ example: 0.5, minimum: 0.01, description: 'CPU limit in CPUs (0.5 = half a CPU)' })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0.01) @Max(1024)
  cpus?: number;

  @ApiPropertyOptional({ type: HealthcheckDto })
  @IsOptional() @IsObject() @ValidateNested() @Type(() => HealthcheckDto)
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
