import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type Docker from 'dockerode';
import type { Principal } from '../auth/principal';
import { DomainError, ErrorDetail } from '../common/domain-error';
import { DockerService } from '../docker/docker.service';
import { ContainerAccessService } from './container-access.service';
import type { ContainerLogsQueryDto } from './dto/container-logs-query.dto';
import { LogEntry, LogParser } from './log-demux';
import { toEngineTime } from './log-time';

/** Lines kept by a non-streaming read without `tail`; older lines are dropped and `truncated` set. */
export const MAX_LOG_ENTRIES = 50_000;

/** An open engine log stream, parsed into lines. `close()` destroys the engine connection at once. */
export interface LogStream {
  batches: AsyncIterable<LogEntry[]>;
  close(): void;
}

/** GET /containers/{id}/logs as a stream always (dockerode buffers and JSON-parses non-follow logs). */
function dialLogs(d: Docker, id: string, query: Record<string, string | number | boolean>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) =>
    d.modem.dial(
      { path: `/containers/${encodeURIComponent(id)}/logs?`, method: 'GET', isStream: true, statusCodes: { 200: true, 404: 'no such container', 500: 'server error' }, options: query },
      (err, data) => (err ? reject(err) : resolve(data as IncomingMessage)),
    ),
  );
}

@Injectable()
export class ContainerLogsService {
  constructor(
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(ContainerAccessService) private readonly access: ContainerAccessService,
  ) {}

  /** Opens the container's logs (following them with follow=true) as a stream of parsed lines. */
  async open(principal: Principal, ref: string, q: ContainerLogsQueryDto): Promise<LogStream> {
    const query = engineQuery(q);
    const c = await this.access.resolve(principal, ref);
    return this.openContainer(c.info, query);
  }

  /** Reads the logs to the end (no follow) into at most MAX_LOG_ENTRIES lines, newest kept. */
  async read(principal: Principal, ref: string, q: ContainerLogsQueryDto): Promise<{ entries: LogEntry[]; truncated: boolean }> {
    return collect(await this.open(principal, ref, { ...q, follow: false }));
  }

  /** The last `tail` lines of a container already resolved by the caller (POST /containers?wait=true). */
  async tail(info: Docker.ContainerInspectInfo, tail: number): Promise<LogEntry[]> {
    return (await collect(await this.openContainer(info, engineQuery({ tail })))).entries;
  }

  private async openContainer(info: Docker.ContainerInspectInfo, query: Record<string, string | number | boolean>): Promise<LogStream> {
    const stream = await this.docker.openStream(query.follow ? 'containerLogsFollow' : 'containerLogs', (d) => dialLogs(d, info.Id, query));
    const parser = new LogParser({ tty: info.Config?.Tty ?? false, timestamps: query.timestamps === true });
    let closed = false;
    async function* batches(): AsyncGenerator<LogEntry[]> {
      try {
        for await (const chunk of stream) {
          const entries = parser.push(chunk as Buffer);
          if (entries.length) yield entries;
        }
        const rest = parser.end();
        if (rest.length) yield rest;
      } catch (err) {
        if (!closed) throw err;
      } finally {
        stream.destroy();
      }
    }
    return {
      batches: batches(),
      close: () => {
        closed = true;
        stream.destroy();
      },
    };
  }
}

/** Reads a (non-following) log stream to its end, keeping the newest MAX_LOG_ENTRIES lines. */
async function collect(logs: LogStream): Promise<{ entries: LogEntry[]; truncated: boolean }> {
  let entries: LogEntry[] = [];
  let truncated = false;
  try {
    for await (const batch of logs.batches) {
      entries.push(...batch);
      if (entries.length > 2 * MAX_LOG_ENTRIES) {
        entries = entries.slice(-MAX_LOG_ENTRIES);
        truncated = true;
      }
    }
  } finally {
    logs.close();
  }
  if (entries.length > MAX_LOG_ENTRIES) {
    entries = entries.slice(-MAX_LOG_ENTRIES);
    truncated = true;
  }
  return { entries, truncated };
}

/** Validated query → the engine's query parameters. */
export function engineQuery(q: ContainerLogsQueryDto): Record<string, string | number | boolean> {
  const problems: ErrorDetail[] = [];
  const stdout = q.stdout ?? true;
  const stderr = q.stderr ?? true;
  if (!stdout && !stderr) problems.push({ field: 'stdout', rule: 'oneStream', message: 'stdout and stderr cannot both be false' });
  const since = q.since !== undefined ? toEngineTime(q.since) : undefined;
  const until = q.until !== undefined ? toEngineTime(q.until) : undefined;
  if (q.since !== undefined && since === undefined) problems.push({ field: 'since', rule: 'time', message: 'since is not a valid time' });
  if (q.until !== undefined && until === undefined) problems.push({ field: 'until', rule: 'time', message: 'until is not a valid time' });
  if (problems.length) throw new DomainError('VALIDATION_FAILED', `Validation failed: ${problems.map((p) => p.message).join('; ')}`, problems);
  return {
    stdout,
    stderr,
    follow: q.follow ?? false,
    timestamps: q.timestamps ?? false,
    tail: q.tail !== undefined ? q.tail : 'all',
    ...(since ? { since } : {}),
    ...(until ? { until } : {}),
  };
}
