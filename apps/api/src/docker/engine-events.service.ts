import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { DockerService } from './docker.service';

/** One message of the engine's `/events` stream (container events only). */
export interface EngineContainerEvent {
  /** create, start, die, stop, destroy, oom, pause, unpause, restart, `health_status: healthy`, exec_*, … */
  action: string;
  containerId: string;
  /** Labels of the container plus the engine's attributes (name, image, exitCode…). */
  attributes: Record<string, string>;
  /** Nanoseconds since the epoch, as the engine reports it. */
  timeNano: bigint;
}

const MAX_BACKOFF_MS = 15_000;

/**
 * The engine's container event stream, opened once and shared: the stream module follows
 * deployment replicas and container restarts with it, and records state changes in the event log.
 * Reconnects with back-off (and `since`, so nothing is missed across a reconnect) while the API runs.
 * Listen with `on('container', (e: EngineContainerEvent) => …)`.
 */
@Injectable()
export class EngineEventsService extends EventEmitter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('EngineEvents');
  private stream?: NodeJS.ReadableStream & { destroy(): void };
  private stopped = false;
  private retry?: NodeJS.Timeout;
  private backoffMs = 500;
  /** Time of the last event seen, to resume from after a reconnect. */
  private lastTimeNano?: bigint;
  /** Events at exactly lastTimeNano already delivered (a resume repeats that instant). */
  private seenAtLast = new Set<string>();
  private connectedOnce?: () => void;
  /** Resolves once the stream has been opened the first time (tests and followers await it). */
  readonly connected: Promise<void>;

  constructor(@Inject(DockerService) private readonly docker: DockerService) {
    super();
    this.setMaxListeners(0);
    this.connected = new Promise((resolve) => (this.connectedOnce = resolve));
    // A stream that broke while the engine was away comes back as soon as the engine does.
    this.docker.stateEvents.on('reachable', () => {
      if (!this.stream && !this.stopped) this.connectSoon(0);
    });
  }

  onApplicationBootstrap(): void {
    void this.connect();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.stream?.destroy();
    this.stream = undefined;
  }

  private connectSoon(delayMs: number): void {
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.connect(), delayMs);
    this.retry.unref();
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.stream) return;
    clearTimeout(this.retry);
    const since = this.lastTimeNano !== undefined ? formatSince(this.lastTimeNano) : undefined;
    let stream: NodeJS.ReadableStream & { destroy(): void };
    try {
      stream = (await this.docker.openStream('systemEvents', (d) =>
        d.getEvents({ filters: { type: ['container'] }, ...(since ? { since: since as never } : {}) }),
      )) as NodeJS.ReadableStream & { destroy(): void };
    } catch (err) {
      if (!this.stopped) {
        this.logger.debug?.(`Engine events unavailable (${(err as Error).message}); retrying in ${this.backoffMs} ms`);
        this.connectSoon(this.backoffMs);
        this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
      }
      return;
    }
    if (this.stopped) {
      stream.destroy();
      return;
    }
    this.stream = stream;
    this.backoffMs = 500;
    this.connectedOnce?.();
    this.connectedOnce = undefined;
    let buffer = '';
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, newline).trim();
        buffer = buffer.slice(newline + 1);
        if (line) this.handle(line);
      }
    });
    const ended = () => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      stream.destroy();
      if (!this.stopped) this.connectSoon(this.backoffMs);
    };
    stream.on('end', ended);
    stream.on('close', ended);
    stream.on('error', ended);
  }

  private handle(line: string): void {
    let raw: { Type?: string; Action?: string; status?: string; id?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; time?: number; timeNano?: number | string };
    try {
      raw = JSON.parse(line);
    } catch {
      return;
    }
    if (raw.Type !== 'container') return;
    const containerId = raw.Actor?.ID ?? raw.id;
    const action = raw.Action ?? raw.status;
    if (!containerId || !action) return;
    const timeNano = raw.timeNano !== undefined ? BigInt(raw.timeNano) : BigInt(raw.time ?? 0) * 1_000_000_000n;
    // After a reconnect the engine repeats the instant we resumed from; skip what we already had.
    const key = `${containerId}/${action}`;
    if (this.lastTimeNano !== undefined && timeNano < this.lastTimeNano) return;
    if (this.lastTimeNano !== undefined && timeNano === this.lastTimeNano) {
      if (this.seenAtLast.has(key)) return;
    } else {
      this.seenAtLast = new Set();
    }
    this.lastTimeNano = timeNano;
    this.seenAtLast.add(key);
    const event: EngineContainerEvent = { action, containerId, attributes: raw.Actor?.Attributes ?? {}, timeNano };
    try {
      this.emit('container', event);
    } catch (err) {
      this.logger.error(`An engine event listener failed: ${(err as Error).stack ?? err}`);
    }
  }
}

/** The engine's `since` takes seconds with an optional fraction of up to nine digits. */
function formatSince(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${seconds}.${fraction}`;
}
