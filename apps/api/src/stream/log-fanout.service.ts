import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { LogEntry, LogParser } from '../containers/log-demux';
import { DomainError } from '../common/domain-error';
import { DockerService } from '../docker/docker.service';
import { EngineContainerEvent, EngineEventsService } from '../docker/engine-events.service';
import { openEngineLogs, sinceParam, timestampNs } from './engine-logs';
import { StreamMetrics } from './stream-metrics';

/** Lines of one container, as read from the engine in one go (split to stay small on the wire). */
export interface LogBatch {
  containerId: string;
  entries: LogEntry[];
  /** Serialized messages for this batch, shared by subscribers that render it the same way. */
  memo: Map<string, Buffer | null>;
}

export interface LogListener {
  onBatch(batch: LogBatch): void;
  /** The container was removed: no more lines will ever come. */
  onRemoved(): void;
}

/** A batch carries at most this much line text, or this many lines, so one message stays small. */
const BATCH_TEXT_BYTES = 32 * 1024;
const BATCH_LINES = 1000;

export function splitBatches(entries: LogEntry[]): LogEntry[][] {
  const out: LogEntry[][] = [];
  let current: LogEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (current.length && (bytes + e.line.length > BATCH_TEXT_BYTES || current.length >= BATCH_LINES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += e.line.length;
  }
  if (current.length) out.push(current);
  return out;
}

type EngineStream = NodeJS.ReadableStream & { destroy(): void };

/**
 * One engine log follow for one container, shared by every listener. Opened with `tail=0` (live
 * only; each subscriber fetches its own history). When the container stops the engine ends the
 * stream; the source then waits for the container to start again (engine events) and resumes
 * after the last line it saw, so a restart does not end anyone's subscription. Removal does.
 */
class ContainerLogSource {
  readonly listeners = new Set<LogListener>();
  readonly ready: Promise<void>;
  private stream?: EngineStream;
  private state: 'opening' | 'open' | 'checking' | 'dormant' | 'closed' = 'opening';
  private startedWhileChecking = false;
  private lastTimestamp?: string;
  private readonly openedAtNs = BigInt(Date.now()) * 1_000_000n;

  constructor(
    readonly containerId: string,
    private readonly tty: boolean,
    private readonly docker: DockerService,
    private readonly engineEvents: EngineEventsService,
    private readonly metrics: StreamMetrics,
    private readonly logger: Logger,
  ) {
    this.engineEvents.on('container', this.onEngineEvent);
    this.ready = this.open();
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.engineEvents.off('container', this.onEngineEvent);
    this.stream?.destroy();
    this.stream = undefined;
  }

  private async open(resumeAfterNs?: bigint): Promise<void> {
    this.state = 'opening';
    const stream = await this.docker.openStream('containerLogsFollow', (d) =>
      openEngineLogs(d, this.containerId, resumeAfterNs !== undefined ? { follow: true, since: sinceParam(resumeAfterNs) } : { follow: true, tail: 0 }),
    );
    if (this.closed) {
      stream.destroy();
      return;
    }
    this.metrics.logSourcesOpened.inc();
    this.stream = stream;
    this.state = 'open';
    const parser = new LogParser({ tty: this.tty, timestamps: true });
    // A resumed follow repeats the instant it resumed from; skip lines already delivered.
    let skipUpToNs = resumeAfterNs;
    // Lines that arrive in the same turn of the event loop go out together: the engine writes
    // line by line, and one message per line per subscriber would cost a syscall per line each.
    let pending: LogEntry[] = [];
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      const entries = pending;
      pending = [];
      if (!entries.length || this.closed) return;
      this.lastTimestamp = entries[entries.length - 1].timestamp;
      for (const part of splitBatches(entries)) {
        const batch: LogBatch = { containerId: this.containerId, entries: part, memo: new Map() };
        for (const listener of this.listeners) {
          try {
            listener.onBatch(batch);
          } catch (err) {
            this.logger.error(`A log subscriber failed: ${(err as Error).stack ?? err}`);
          }
        }
      }
    };
    const deliver = (entries: LogEntry[], now = false) => {
      if (skipUpToNs !== undefined) {
        const limit = skipUpToNs;
        entries = entries.filter((e) => timestampNs(e.timestamp) > limit);
        if (entries.length) skipUpToNs = undefined;
      }
      for (const e of entries) pending.push(e);
      if (now) return flush();
      if (!scheduled && pending.length) {
        scheduled = true;
        setImmediate(flush);
      }
    };
    stream.on('data', (chunk: Buffer) => {
      try {
        deliver(parser.push(chunk));
      } catch (err) {
        this.logger.warn(`Unreadable log stream of ${this.containerId}: ${(err as Error).message}`);
        stream.destroy();
      }
    });
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      try {
        deliver(parser.end(), true);
      } catch {
        // a truncated frame at the very end: nothing more to deliver
      }
      if (this.stream === stream) this.stream = undefined;
      stream.destroy();
      if (this.state === 'open') void this.afterEnd();
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  /** The follow ended: the container stopped or is gone. Find out which. */
  private async afterEnd(): Promise<void> {
    this.state = 'checking';
    this.startedWhileChecking = false;
    let running = false;
    try {
      const info = await this.docker.call('containerInspect', (d) => d.getContainer(this.containerId).inspect());
      running = Boolean(info.State?.Running);
    } catch (err) {
      if (err instanceof DomainError && err.code === 'NOT_FOUND') return this.removed();
      // The engine is away: wait for a start event like for a stopped container.
    }
    if (this.state !== 'checking') return;
    if (running || this.startedWhileChecking) return this.resume();
    this.state = 'dormant';
  }

  private resume(): void {
    const after = this.lastTimestamp ? timestampNs(this.lastTimestamp) : this.openedAtNs;
    this.open(after).catch((err: Error) => {
      if (err instanceof DomainError && err.code === 'NOT_FOUND') return this.removed();
      this.logger.warn(`Could not resume the log stream of ${this.containerId}: ${err.message}`);
      if (this.state === 'opening') this.state = 'dormant';
    });
  }

  private removed(): void {
    if (this.state === 'closed') return;
    const listeners = [...this.listeners];
    this.close();
    for (const listener of listeners) listener.onRemoved();
  }

  private readonly onEngineEvent = (e: EngineContainerEvent): void => {
    if (e.containerId !== this.containerId || this.state === 'closed') return;
    if (e.action === 'destroy') {
      this.removed();
    } else if (e.action === 'start') {
      if (this.state === 'checking') this.startedWhileChecking = true;
      else if (this.state === 'dormant') this.resume();
    }
  };
}

/**
 * Container log fan-out: one engine log stream per container, whatever the number of /ws
 * subscribers, closed when the last one leaves. History (`tail`, `since`) is per subscriber and
 * read with a short, non-following request.
 */
@Injectable()
export class LogFanoutService implements OnModuleDestroy {
  private readonly logger = new Logger('LogFanout');
  private readonly sources = new Map<string, ContainerLogSource>();

  constructor(
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(EngineEventsService) private readonly engineEvents: EngineEventsService,
    @Inject(StreamMetrics) private readonly metrics: StreamMetrics,
  ) {}

  /** Containers followed right now. */
  get size(): number {
    return this.sources.size;
  }

  /** Adds a listener to the container's shared stream (opening it if needed); returns the detach function. */
  async attach(container: { id: string; tty: boolean }, listener: LogListener): Promise<() => void> {
    let source = this.sources.get(container.id);
    if (!source) {
      source = new ContainerLogSource(container.id, container.tty, this.docker, this.engineEvents, this.metrics, this.logger);
      this.sources.set(container.id, source);
      this.metrics.logSources.inc();
      const created = source;
      // A source that could not open is forgotten, so the next subscriber tries afresh.
      created.ready.catch(() => this.forget(created));
    }
    source.listeners.add(listener);
    const s = source;
    const detach = () => {
      s.listeners.delete(listener);
      if (!s.listeners.size) this.forget(s);
    };
    try {
      await source.ready;
    } catch (err) {
      detach();
      throw err;
    }
    return detach;
  }

  /** Up to `tail` lines (since `since`, in Unix seconds; of `stream`) of the container's log, oldest first. */
  async history(container: { id: string; tty: boolean }, q: { tail: number; since?: number; stream?: 'stdout' | 'stderr' | 'all' }): Promise<LogEntry[]> {
    if (q.tail <= 0) return [];
    const since = q.since !== undefined ? sinceParam(BigInt(Math.floor(q.since * 1e9))) : undefined;
    const stream = await this.docker.call('containerLogs', (d) => openEngineLogs(d, container.id, { follow: false, tail: q.tail, stream: q.stream, ...(since ? { since } : {}) }));
    const parser = new LogParser({ tty: container.tty, timestamps: true });
    const entries: LogEntry[] = [];
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) entries.push(...parser.push(chunk));
      entries.push(...parser.end());
    } finally {
      stream.destroy();
    }
    return entries.length > q.tail ? entries.slice(entries.length - q.tail) : entries;
  }

  onModuleDestroy(): void {
    for (const source of [...this.sources.values()]) this.forget(source);
  }

  private forget(source: ContainerLogSource): void {
    if (this.sources.get(source.containerId) !== source) return;
    this.sources.delete(source.containerId);
    this.metrics.logSources.dec();
    source.close();
  }
}
