import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import Docker from 'dockerode';
import { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { createDockerClient } from './docker-client.factory';
import { mapDockerError } from './docker-errors';
import { FreshReads } from './fresh-reads';

export interface EngineState {
  reachable: boolean;
  error?: string;
  since: Date;
}

/** Labels every Berth-created engine object carries; Berth finds its objects by these, never by name. */
export const BERTH_LABELS = {
  managed: 'io.berth.managed',
  team: 'io.berth.team',
  deployment: 'io.berth.deployment',
  revision: 'io.berth.revision',
  role: 'io.berth.role',
  slot: 'io.berth.slot',
  operation: 'io.berth.operation',
} as const;

/**
 * The single gateway to the Docker Engine. Every call goes through `call()`, which times it,
 * counts failures and maps engine errors to DomainErrors. A background monitor pings the engine
 * with back-off while it is unreachable and emits 'reachable' / 'unreachable' on `state`.
 */
@Injectable()
export class DockerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('DockerService');
  readonly client: Docker;
  /** The same engine without the idle timeout, for calls that may stay quiet for long (log follow, wait, exec). */
  readonly longClient: Docker;
  readonly stateEvents = new EventEmitter();
  private state: EngineState = { reachable: false, error: 'not checked yet', since: new Date() };
  private monitor?: NodeJS.Timeout;
  private stopped = false;
  private readonly freshReads = new FreshReads();

  constructor(
    @Inject(AppConfig) config: AppConfig,
    @Inject(MetricsService) private readonly metrics: MetricsService,
  ) {
    this.client = createDockerClient(config.docker);
    this.longClient = createDockerClient({ ...config.docker, timeoutMs: 0 });
  }

  get engineState(): EngineState {
    return this.state;
  }

  /**
   * Runs one engine call with metrics and error mapping. `longRunning` uses the client without
   * the idle timeout (BERTH_DOCKER_TIMEOUT_MS), for calls that legitimately wait (wait, exec).
   */
  async call<T>(operation: string, fn: (docker: Docker) => Promise<T>, options: { longRunning?: boolean } = {}): Promise<T> {
    const end = this.metrics.dockerDuration.startTimer({ operation });
    try {
      const result = await fn(options.longRunning ? this.longClient : this.client);
      end({ outcome: 'ok' });
      return result;
    } catch (err) {
      const mapped = mapDockerError(err);
      end({ outcome: 'error' });
      this.metrics.dockerErrors.inc({ operation, code: mapped.code });
      if (mapped.code === 'ENGINE_UNAVAILABLE') this.markUnreachable(mapped.message);
      throw mapped;
    }
  }

  /**
   * A read-only engine call that concurrent identical calls (same operation and `params`) share,
   * without any caller getting data read before it asked (FreshReads). Callers must not mutate
   * the result.
   */
  sharedRead<T>(operation: string, params: unknown, fn: (docker: Docker) => Promise<T>): Promise<T> {
    const key = `${operation} ${JSON.stringify(params)}`;
    if (this.freshReads.pending(key) > 0) this.metrics.dockerSharedReads.inc({ operation });
    return this.freshReads.run(key, () => this.call(operation, fn));
  }

  /**
   * Opens a long-lived engine stream (logs, attach, exec output) without the idle timeout and
   * counts it in berth_docker_streams_open until its connection closes. Callers must destroy it
   * when their client goes away.
   */
  async openStream<S extends NodeJS.ReadableStream>(operation: string, fn: (docker: Docker) => Promise<S>): Promise<S> {
    const stream = await this.call(operation, fn, { longRunning: true });
    const gauge = this.metrics.dockerStreamsOpen;
    gauge.inc({ operation });
    let open = true;
    const release = () => {
      if (!open) return;
      open = false;
      gauge.dec({ operation });
    };
    (stream as NodeJS.ReadableStream & NodeJS.EventEmitter).once('close', release);
    return stream;
  }

  async ping(): Promise<void> {
    await this.call('ping', (d) => d.ping());
    this.markReachable();
  }

  onModuleInit(): void {
    // Not awaited: the API starts even when the engine is down, and /health/ready says why.
    void this.check(1000);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.monitor);
  }

  private async check(backoffMs: number): Promise<void> {
    if (this.stopped) return;
    let next = 15_000;
    try {
      await this.ping();
    } catch {
      next = backoffMs;
      backoffMs = Math.min(backoffMs * 2, 15_000);
    }
    if (this.stopped) return;
    this.monitor = setTimeout(() => void this.check(this.state.reachable ? 1000 : backoffMs), next);
    this.monitor.unref();
  }

  private markReachable(): void {
    if (this.state.reachable) return;
    this.state = { reachable: true, since: new Date() };
    this.logger.log('Docker Engine reachable');
    this.stateEvents.emit('reachable');
  }

  private markUnreachable(error: string): void {
    const was = this.state.reachable;
    this.state = { reachable: false, error, since: was ? new Date() : this.state.since };
    if (was) {
      this.logger.warn(`Docker Engine unreachable: ${error}`);
      this.stateEvents.emit('unreachable', error);
    }
  }
}
