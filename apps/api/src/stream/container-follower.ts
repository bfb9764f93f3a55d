import type { LogEntry } from '../containers/log-demux';
import { timestampNs } from './engine-logs';
import type { LogBatch, LogFanoutService, LogListener } from './log-fanout.service';
import type { LogWriter } from './log-writer';
import type { LogSource } from './stream-protocol';

/** While history is being read, live lines wait here; past this many the oldest are dropped (and counted). */
const MAX_JOIN_BUFFER_LINES = 10_000;

/**
 * One subscription's view of one container's log: history first, then the shared live stream,
 * with no line lost or repeated at the seam. The follower joins the live stream before reading
 * history, holds live lines meanwhile, and releases only those newer than the last history line.
 *
 * Use: `await prepare()` (joins the live stream and reads history; throws if the container's
 * log cannot be read), then `begin()` once the subscription has been announced.
 */
export class ContainerFollower implements LogListener {
  private detach?: () => void;
  private history: LogEntry[] = [];
  private held: LogBatch[] = [];
  private heldLines = 0;
  private joining = true;
  private stopped = false;
  /**
   * Timestamp of the last history line while live lines up to it may still arrive: the engine's
   * history read can be ahead of the shared live stream, so the seam filter stays on after
   * begin() until a live line newer than it has passed.
   */
  private seam = -1n;

  constructor(
    private readonly fanout: LogFanoutService,
    private readonly container: { id: string; tty: boolean },
    readonly source: LogSource,
    private readonly writer: LogWriter,
    private readonly historyQuery: { tail: number; since?: number; stream?: 'stdout' | 'stderr' | 'all' },
    private readonly removed: (follower: ContainerFollower) => void,
  ) {}

  async prepare(): Promise<void> {
    const detach = await this.fanout.attach(this.container, this);
    if (this.stopped) return detach();
    this.detach = detach;
    try {
      this.history = await this.fanout.history(this.container, this.historyQuery);
    } catch (err) {
      this.stop();
      throw err;
    }
  }

  begin(): void {
    if (this.stopped) return;
    const history = this.history;
    this.history = [];
    for (let i = 0; i < history.length; i += 1000) this.writer.write(this.source, { entries: history.slice(i, i + 1000) });
    this.seam = history.length ? timestampNs(history[history.length - 1].timestamp) : -1n;
    const held = this.held;
    this.held = [];
    this.joining = false;
    for (const batch of held) this.release(batch);
  }

  /** Writes a live batch, without the lines the history already had. */
  private release(batch: LogBatch): void {
    if (this.seam < 0n) return this.writer.write(this.source, batch);
    const seam = this.seam;
    const entries = batch.entries.filter((e) => timestampNs(e.timestamp) > seam);
    if (entries.length) this.seam = -1n;
    if (entries.length === batch.entries.length) this.writer.write(this.source, batch);
    else if (entries.length) this.writer.write(this.source, { entries });
  }

  stop(): void {
    this.stopped = true;
    this.held = [];
    this.history = [];
    this.detach?.();
    this.detach = undefined;
  }

  onBatch(batch: LogBatch): void {
    if (this.stopped) return;
    if (!this.joining) return this.release(batch);
    this.held.push(batch);
    this.heldLines += batch.entries.length;
    while (this.heldLines > MAX_JOIN_BUFFER_LINES && this.held.length > 1) {
      const old = this.held.shift()!;
      this.heldLines -= old.entries.length;
    }
  }

  onRemoved(): void {
    if (this.stopped) return;
    this.stop();
    this.removed(this);
  }
}
