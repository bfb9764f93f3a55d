import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics. One registry per app instance, so tests can run several apps in one process. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpDuration = new Histogram({
    name: 'berth_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly dockerDuration = new Histogram({
    name: 'berth_docker_call_duration_seconds',
    help: 'Docker Engine call duration by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  readonly dockerErrors = new Counter({
    name: 'berth_docker_call_errors_total',
    help: 'Docker Engine calls that failed, by operation and error code',
    labelNames: ['operation', 'code'] as const,
    registers: [this.registry],
  });

  readonly dockerSharedReads = new Counter({
    name: 'berth_docker_shared_reads_total',
    help: 'Requests that arrived while an identical engine read was running and were answered by the next one, shared with all that arrived meanwhile, by operation',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly dockerStreamsOpen = new Gauge({
    name: 'berth_docker_streams_open',
    help: 'Engine log, attach and exec streams currently open',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly wsClients = new Gauge({
    name: 'berth_websocket_clients',
    help: 'Open WebSocket connections',
    registers: [this.registry],
  });

  readonly auditWriteFailures = new Counter({
    name: 'berth_audit_write_failures_total',
    help: 'Audit log entries that could not be written (each is also logged as an error)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'berth_' });
  }
}
