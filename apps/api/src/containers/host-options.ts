import { posix } from 'node:path';
import type { HostOptionsDto } from './dto/container-run.dto';

/**
 * Host-level container options (privileged, namespaces, capabilities, devices, sysctls, security
 * options) in normalized form — only what was asked for, so a spec that asks for none of them
 * looks (and hashes) exactly as before they existed. The container policy decides whether the
 * team may use them (apps/api/src/policy).
 */
export interface HostOptions {
  privileged?: true;
  pidMode?: 'host';
  ipcMode?: 'shareable' | 'none' | 'host';
  utsMode?: 'host';
  usernsMode?: 'host';
  capAdd?: string[];
  capDrop?: string[];
  devices?: { hostPath: string; containerPath: string; permissions: string }[];
  sysctls?: Record<string, string>;
  securityOpt?: string[];
}

const capability = (c: string) => c.toUpperCase().replace(/^CAP_/, '');

export function normalizeHostOptions(dto: HostOptionsDto): HostOptions {
  const caps = (list?: string[]) => (list?.length ? [...new Set(list.map(capability))] : undefined);
  const capAdd = caps(dto.capAdd);
  const capDrop = caps(dto.capDrop);
  const sysctls = dto.sysctls && Object.keys(dto.sysctls).length ? Object.fromEntries(Object.entries(dto.sysctls).sort(([a], [b]) => a.localeCompare(b))) : undefined;
  return {
    ...(dto.privileged ? { privileged: true as const } : {}),
    ...(dto.pidMode === 'host' ? { pidMode: 'host' as const } : {}),
    ...(dto.ipcMode && dto.ipcMode !== 'private' ? { ipcMode: dto.ipcMode } : {}),
    ...(dto.utsMode === 'host' ? { utsMode: 'host' as const } : {}),
    ...(dto.usernsMode === 'host' ? { usernsMode: 'host' as const } : {}),
    ...(capAdd ? { capAdd } : {}),
    ...(capDrop ? { capDrop } : {}),
    ...(dto.devices?.length
      ? { devices: dto.devices.map((d) => ({ hostPath: posix.normalize(d.hostPath), containerPath: posix.normalize(d.containerPath ?? d.hostPath), permissions: d.permissions ?? 'rwm' })) }
      : {}),
    ...(sysctls ? { sysctls } : {}),
    ...(dto.securityOpt?.length ? { securityOpt: [...dto.securityOpt] } : {}),
  };
}

/** The engine's HostConfig fields for the options (none when none were asked for). */
export function hostConfigOf(o: HostOptions | undefined) {
  if (!o) return {};
  return {
    ...(o.privileged ? { Privileged: true } : {}),
    ...(o.pidMode ? { PidMode: o.pidMode } : {}),
    ...(o.ipcMode ? { IpcMode: o.ipcMode } : {}),
    ...(o.utsMode ? { UTSMode: o.utsMode } : {}),
    ...(o.usernsMode ? { UsernsMode: o.usernsMode } : {}),
    ...(o.capAdd ? { CapAdd: o.capAdd } : {}),
    ...(o.capDrop ? { CapDrop: o.capDrop } : {}),
    ...(o.devices ? { Devices: o.devices.map((d) => ({ PathOnHost: d.hostPath, PathInContainer: d.containerPath, CgroupPermissions: d.permissions })) } : {}),
    ...(o.sysctls ? { Sysctls: o.sysctls } : {}),
    ...(o.securityOpt ? { SecurityOpt: o.securityOpt } : {}),
  };
}
