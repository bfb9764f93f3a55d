import type { ContainerStatsDto } from './dto/container-stats.dto';

/** The parts of the engine's stats document (API 1.41, cgroup v1 or v2) this module reads. */
export interface EngineStats {
  read: string;
  preread?: string;
  cpu_stats?: CpuReading;
  precpu_stats?: CpuReading;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number; rx_packets?: number; tx_packets?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  pids_stats?: { current?: number };
}

interface CpuReading {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

const ZERO_TIME = /^0001-01-01/;
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * CPU percentage between the engine's two readings, as `docker stats` computes it: the
 * container's CPU time delta over the host's CPU time delta, times the number of CPUs.
 * Zero when there is no previous reading (first sample, stopped container) or no progress.
 */
export function cpuPercent(cpu: CpuReading | undefined, pre: CpuReading | undefined): number {
  const cpuDelta = (cpu?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
  if (!pre?.system_cpu_usage || systemDelta <= 0 || cpuDelta < 0) return 0;
  return round((cpuDelta / systemDelta) * onlineCpus(cpu) * 100);
}

export function onlineCpus(cpu: CpuReading | undefined): number {
  return cpu?.online_cpus || cpu?.cpu_usage?.percpu_usage?.length || 1;
}

/**
 * Memory in use without the reclaimable page cache, as `docker stats` (20.10) reports it:
 * usage − total_inactive_file on cgroup v1, usage − inactive_file on cgroup v2.
 */
export function memoryUsage(memory: EngineStats['memory_stats']): number {
  const usage = memory?.usage ?? 0;
  const stats = memory?.stats ?? {};
  const inactive = stats.total_inactive_file ?? stats.inactive_file;
  return inactive !== undefined && inactive < usage ? usage - inactive : usage;
}

export function toContainerStats(s: EngineStats): ContainerStatsDto {
  const usage = memoryUsage(s.memory_stats);
  const limit = s.memory_stats?.limit ?? 0;
  const networks = Object.values(s.networks ?? {});
  const sum = (key: 'rx_bytes' | 'tx_bytes' | 'rx_packets' | 'tx_packets') => networks.reduce((n, i) => n + (i[key] ?? 0), 0);
  const io = s.blkio_stats?.io_service_bytes_recursive ?? [];
  const op = (name: string) => io.filter((e) => e.op.toLowerCase() === name).reduce((n, e) => n + e.value, 0);
  return {
    read: s.read,
    ...(s.preread && !ZERO_TIME.test(s.preread) ? { preread: s.preread } : {}),
    cpu: { percent: cpuPercent(s.cpu_stats, s.precpu_stats), onlineCpus: onlineCpus(s.cpu_stats), totalUsageNs: s.cpu_stats?.cpu_usage?.total_usage ?? 0 },
    memory: { usageBytes: usage, limitBytes: limit, percent: limit > 0 ? round((usage / limit) * 100) : 0 },
    network: { rxBytes: sum('rx_bytes'), txBytes: sum('tx_bytes'), rxPackets: sum('rx_packets'), txPackets: sum('tx_packets') },
    blockIo: { readBytes: op('read'), writeBytes: op('write') },
    pids: s.pids_stats?.current ?? 0,
  };
}
