import { cpuPercent, memoryUsage, toContainerStats } from './container-stats';

describe('container stats', () => {
  it('computes CPU % from the delta between the two readings, times the online CPUs', () => {
    const pre = { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 100_000_000_000, online_cpus: 4 };
    const cpu = { cpu_usage: { total_usage: 1_500_000_000 }, system_cpu_usage: 104_000_000_000, online_cpus: 4 };
    // 0.5 s of CPU over 4 s of host time (1 s wall × 4 CPUs) = 12.5 % of the host = 50 % of one CPU.
    expect(cpuPercent(cpu, pre)).toBe(50);
  });

  it('reports 0 without a previous reading or when the host counter did not move', () => {
    expect(cpuPercent({ cpu_usage: { total_usage: 5 }, system_cpu_usage: 10, online_cpus: 1 }, { cpu_usage: { total_usage: 0 } })).toBe(0);
    expect(cpuPercent({ cpu_usage: { total_usage: 5 }, system_cpu_usage: 10 }, { cpu_usage: { total_usage: 1 }, system_cpu_usage: 10 })).toBe(0);
  });

  it('falls back to the per-CPU list when online_cpus is missing', () => {
    const pre = { cpu_usage: { total_usage: 0 }, system_cpu_usage: 1000 };
    const cpu = { cpu_usage: { total_usage: 100, percpu_usage: [50, 50] }, system_cpu_usage: 2000 };
    expect(cpuPercent(cpu, pre)).toBe(20);
  });

  it('subtracts the inactive page cache from memory (cgroup v1 and v2)', () => {
    expect(memoryUsage({ usage: 100, stats: { total_inactive_file: 30 } })).toBe(70);
    expect(memoryUsage({ usage: 100, stats: { inactive_file: 40 } })).toBe(60);
    expect(memoryUsage({ usage: 100, stats: {} })).toBe(100);
  });

  it('sums every network interface and block I/O by operation', () => {
    const s = toContainerStats({
      read: '2026-11-27T13:00:01Z',
      preread: '0001-01-01T00:00:00Z',
      memory_stats: { usage: 200, limit: 1000, stats: { total_inactive_file: 100 } },
      networks: { eth0: { rx_bytes: 10, tx_bytes: 20, rx_packets: 1, tx_packets: 2 }, eth1: { rx_bytes: 5, tx_bytes: 5, rx_packets: 1, tx_packets: 1 } },
      blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 7 }, { op: 'Write', value: 3 }, { op: 'read', value: 1 }, { op: 'Total', value: 11 }] },
      pids_stats: { current: 3 },
    });
    expect(s).toEqual({
      read: '2026-11-27T13:00:01Z',
      cpu: { percent: 0, onlineCpus: 1, totalUsageNs: 0 },
      memory: { usageBytes: 100, limitBytes: 1000, percent: 10 },
      network: { rxBytes: 15, txBytes: 25, rxPackets: 2, txPackets: 3 },
      blockIo: { readBytes: 8, writeBytes: 3 },
      pids: 3,
    });
  });
});
