import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { EventsService } from './events.service';

const PRUNE_INTERVAL_MS = 10 * 60_000;

/**
 * Keeps the event log to BERTH_EVENT_RETENTION_HOURS: prunes once at start and every ten minutes.
 * The stream refuses to resume from a sequence older than what is left (SINCE_EXPIRED).
 */
@Injectable()
export class EventRetentionService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('EventRetention');
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    @Inject(EventsService) private readonly events: EventsService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  get retentionHours(): number {
    return this.config.eventRetentionHours;
  }

  onApplicationBootstrap(): void {
    if (!this.retentionHours) return;
    void this.pruneQuietly();
    this.timer = setInterval(() => void this.pruneQuietly(), PRUNE_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Deletes what is older than the retention window now; returns how many events went. */
  prune(now = new Date()): Promise<number> {
    if (!this.retentionHours) return Promise.resolve(0);
    // One prune at a time: a slow delete must not pile up behind the interval.
    this.running ??= this.events.pruneBefore(new Date(now.getTime() - this.retentionHours * 3_600_000)).finally(() => (this.running = undefined));
    return this.running;
  }

  private async pruneQuietly(): Promise<void> {
    try {
      const count = await this.prune();
      if (count) this.logger.log(`Pruned ${count} events older than ${this.retentionHours} h`);
    } catch (err) {
      this.logger.warn(`Could not prune the event log: ${(err as Error).message}`);
    }
  }
}
