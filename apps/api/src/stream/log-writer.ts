import type { LogEntry } from '../containers/log-demux';
import type { LogBatch } from './log-fanout.service';
import type { SocketSender } from './socket-sender';
import type { StreamMetrics } from './stream-metrics';
import type { LogLine, LogSource } from './stream-protocol';
import type { LogOptions } from './topics';

/**
 * Writes one log subscription's lines to its socket. Lines that do not fit in the socket's send
 * buffer are dropped and counted; the count goes out as a `dropped` message as soon as there is
 * room again (before any later line), so the client knows exactly where its view has holes.
 */
export class LogWriter {
  private dropped = 0;
  private readonly memoPrefix: string;

  constructor(
    private readonly topic: string,
    private readonly sender: SocketSender,
    private readonly options: Pick<LogOptions, 'timestamps' | 'stream'>,
    private readonly metrics: StreamMetrics,
  ) {
    this.memoPrefix = `${topic}\0${options.timestamps ? 1 : 0}\0${options.stream}`;
    this.sender.on('drain', this.flushDropped);
  }

  dispose(): void {
    this.sender.off('drain', this.flushDropped);
  }

  /** Lines dropped and not yet reported. */
  get pendingDropped(): number {
    return this.dropped;
  }

  /** Sends (or drops) one batch of a container's lines. */
  write(source: LogSource, batch: Pick<LogBatch, 'entries'> & { memo?: LogBatch['memo'] }): void {
    const key = `${this.memoPrefix}\0${source.slot ?? ''}\0${source.revision ?? ''}`;
    let data = batch.memo?.get(key);
    if (data === undefined) {
      data = this.serialize(source, batch.entries);
      batch.memo?.set(key, data);
    }
    if (data === null) return; // nothing of this batch is for this subscription (stream filter)
    const lines = this.options.stream === 'all' ? batch.entries.length : batch.entries.filter((e) => e.stream === this.options.stream).length;
    if (this.dropped && !this.flushDropped()) return this.drop(lines);
    if (!this.sender.offer(data)) this.drop(lines);
  }

  private drop(lines: number): void {
    this.dropped += lines;
    this.metrics.droppedLines.inc(lines);
  }

  /** Reports dropped lines if there is room; true when nothing is left to report. */
  private readonly flushDropped = (): boolean => {
    if (!this.dropped) return true;
    const notice = Buffer.from(JSON.stringify({ type: 'dropped', topic: this.topic, lines: this.dropped }));
    if (!this.sender.offer(notice)) return false;
    this.dropped = 0;
    return true;
  };

  private serialize(source: LogSource, entries: LogEntry[]): Buffer | null {
    const lines: LogLine[] = [];
    for (const e of entries) {
      if (this.options.stream !== 'all' && e.stream !== this.options.stream) continue;
      lines.push(this.options.timestamps && e.timestamp ? { stream: e.stream, line: e.line, timestamp: e.timestamp } : { stream: e.stream, line: e.line });
    }
    if (!lines.length) return null;
    return Buffer.from(JSON.stringify({ type: 'log', topic: this.topic, ...source, lines }));
  }
}
