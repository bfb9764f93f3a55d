import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';

/** The stream's own Prometheus metrics, on the app's registry (berth_websocket_clients lives in MetricsService). */
@Injectable()
export class StreamMetrics {
  readonly subscriptions: Gauge<'carries'>;
  readonly sendBuffer: Gauge<'stat'>;
  readonly droppedLines: Counter;
  readonly eventResubscribes: Counter;
  readonly logSources: Gauge;
  readonly logSourcesOpened: Counter;
  readonly execSessions: Gauge;
  /** Set by StreamService: the buffered bytes of every open socket. */
  bufferedBytes: () => number[] = () => [];

  constructor(@Inject(MetricsService) readonly base: MetricsService) {
    const registers = [base.registry];
    this.subscriptions = new Gauge({ name: 'berth_websocket_subscriptions', help: 'Open /ws subscriptions, by what they carry', labelNames: ['carries'] as const, registers });
    const buffered = () => this.bufferedBytes();
    this.sendBuffer = new Gauge({
      name: 'berth_websocket_send_buffer_bytes',
      help: 'Bytes queued for /ws sockets and not yet written: the sum over sockets, and the largest one',
      labelNames: ['stat'] as const,
      registers,
      collect() {
        const all = buffered();
        this.set({ stat: 'sum' }, all.reduce((a, b) => a + b, 0));
        this.set({ stat: 'max' }, all.reduce((a, b) => Math.max(a, b), 0));
      },
    });
    this.droppedLines = new Counter({ name: 'berth_websocket_dropped_log_lines_total', help: 'Log lines dropped because a socket could not keep up', registers });
    this.eventResubscribes = new Counter({ name: 'berth_websocket_event_resubscribes_total', help: 'Event subscriptions ended because a socket could not keep up (told to resubscribe)', registers });
    this.logSources = new Gauge({ name: 'berth_stream_log_sources', help: 'Containers whose log stream is being followed for /ws subscribers (one engine stream each)', registers });
    this.logSourcesOpened = new Counter({ name: 'berth_stream_log_follows_opened_total', help: 'Engine log follow streams opened for /ws subscribers', registers });
    this.execSessions = new Gauge({ name: 'berth_websocket_exec_sessions', help: 'Open interactive exec sessions', registers });
  }
}
