import { Transform } from 'class-transformer';
import { registerDecorator, ValidationArguments, ValidationOptions } from 'class-validator';
import { normalizeSignal, SIGNAL_EXAMPLES } from '../signals';

/** A container name as the engine accepts it (without the leading slash). */
export const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
/** What a `:id` path parameter may be: a full or short id, or a name. Never contains '/' or '?'. */
export const CONTAINER_REF = CONTAINER_NAME;
/** POSIX-style environment variable names. */
export const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;
/** Label keys: reverse-DNS style; `io.berth.*` is reserved for Berth itself. */
export const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/;
export const RESERVED_LABEL_PREFIX = 'io.berth.';
/** Named volumes and networks, as the engine accepts them. */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;
export const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;
/** `user`, `user:group`, `uid` or `uid:gid`. */
export const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,63})?$/;
/** An absolute path without NUL, newline or '..' segments; mount targets and working dirs. */
export const ABSOLUTE_PATH = /^(?!.*(?:^|\/)\.\.(?:\/|$))\/[^\0\n\r]{0,4095}$/;

/** A Linux capability name: NET_ADMIN, CAP_NET_ADMIN, net_admin, or ALL. */
export const CAPABILITY = /^(CAP_)?[A-Za-z][A-Za-z_]{1,31}$/;
/** A sysctl name (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net/ipv4/ping_group_range). */
export const SYSCTL_KEY = /^[a-z0-9_]+([./][a-z0-9_*-]+)+$/;
/**
 * The security options Docker understands: no-new-privileges[:true|false], seccomp=unconfined or
 * a profile (JSON), apparmor=<profile|unconfined>, label=disable or label=user:…|role:…|type:…|level:…,
 * systempaths=unconfined. Whether the team may use them is the container policy's call, not this.
 */
export const SECURITY_OPT = /^(no-new-privileges(:(true|false))?|seccomp[=:][^\0]+|apparmor[=:][A-Za-z0-9_.\/-]+|label[=:](disable|(user|role|type|level):[^\0\n]+)|systempaths[=:]unconfined)$/s;
/** cgroup device permissions: any of r, w and m. */
export const DEVICE_PERMISSIONS = /^(?!.*(.).*\1)[rwm]{1,3}$/;
/** Namespace modes a container may ask for: its own (private, the default) or the host's. */
export const HOST_OR_PRIVATE = ['private', 'host'] as const;
export const IPC_MODES = ['private', 'shareable', 'none', 'host'] as const;

/** Query-string booleans: 'true'/'1' and 'false'/'0'; anything else is left for @IsBoolean to reject. */
export const ToBoolean = () =>
  Transform(({ value }) => {
    if (value === 'true' || value === '1' || value === true) return true;
    if (value === 'false' || value === '0' || value === false) return false;
    return value;
  });

/** Query-string integers; non-numbers are left for @IsInt to reject. */
export const ToInt = () => Transform(({ value }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value));

/** Repeated query parameters arrive as a string or an array; always an array here. */
export const ToArray = () => Transform(({ value }) => (value === undefined ? undefined : Array.isArray(value) ? value : [value]));

interface StringMapRule {
  name: string;
  key: RegExp;
  keyHint: string;
  reserved?: string;
  maxEntries: number;
  maxValueLength: number;
}

function problem(value: unknown, rule: StringMapRule, property: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `${property} must be an object of string values`;
  const entries = Object.entries(value);
  if (entries.length > rule.maxEntries) return `${property} must have at most ${rule.maxEntries} entries`;
  for (const [k, v] of entries) {
    if (!rule.key.test(k)) return `${property} key ${JSON.stringify(k)} is invalid: ${rule.keyHint}`;
    if (rule.reserved && k.startsWith(rule.reserved)) return `${property} key ${JSON.stringify(k)} is reserved: ${rule.reserved}* labels are set by Berth`;
    if (typeof v !== 'string') return `${property}.${k} must be a string`;
    if (v.length > rule.maxValueLength || v.includes('\0')) return `${property}.${k} must be at most ${rule.maxValueLength} characters without NUL`;
  }
  return undefined;
}

function stringMap(rule: StringMapRule, options?: ValidationOptions) {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: rule.name,
      target: object.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown, args: ValidationArguments) => problem(value, rule, args.property) === undefined,
        defaultMessage: (args?: ValidationArguments) => problem(args?.value, rule, args?.property ?? propertyName) ?? `${propertyName} is invalid`,
      },
    });
}

/** `{ NAME: "value" }` with POSIX variable names. */
export const IsEnvMap = (options?: ValidationOptions) =>
  stringMap({ name: 'envKey', key: ENV_KEY, keyHint: 'letters, digits and _, not starting with a digit', maxEntries: 500, maxValueLength: 32_768 }, options);

/** `{ "com.example.key": "value" }`; io.berth.* keys are refused. */
export const IsLabelMap = (options?: ValidationOptions) =>
  stringMap({ name: 'labelKey', key: LABEL_KEY, keyHint: 'letters, digits, ".", "_", "/" and "-", starting with a letter or digit', reserved: RESERVED_LABEL_PREFIX, maxEntries: 200, maxValueLength: 4096 }, options);

/** `{ "net.ipv4.ip_local_port_range": "1024 65000" }`. */
export const IsSysctlMap = (options?: ValidationOptions) =>
  stringMap({ name: 'sysctlKey', key: SYSCTL_KEY, keyHint: 'a sysctl name such as net.ipv4.ip_local_port_range', maxEntries: 100, maxValueLength: 1024 }, options);

/** A Linux signal name (SIGTERM, TERM) or number (1–64); see ../signals.ts. */
export const IsSignal = (options?: ValidationOptions) => (object: object, propertyName: string) =>
  registerDecorator({
    name: 'signal',
    target: object.constructor,
    propertyName,
    options: { message: `${propertyName} must be ${SIGNAL_EXAMPLES}`, ...options },
    validator: { validate: (value: unknown) => typeof value === 'string' && normalizeSignal(value) !== undefined },
  });
