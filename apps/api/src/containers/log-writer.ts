import { once } from 'node:events';
import type { Response } from 'express';
import type { LogStream } from './container-logs.service';
import type { LogEntry } from './log-demux';

export type LogFormat = 'json' | 'text' | 'ndjson' | 'sse';

const CONTENT_TYPES: Record<Exclude<LogFormat, 'json'>, string> = {
  text: 'text/plain; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  sse: 'text/event-stream; charset=utf-8',
};

/** SSE comment sent while a followed container is quiet, so proxies keep the connection. */
export const SSE_HEARTBEAT_MS = 15_000;

/**
 * Picks the response format from Accept: event-stream and NDJSON when named; text/plain when
 * named, or for follow=true without a preference; JSON otherwise.
 */
export function negotiateLogFormat(accept: string | undefined, follow: boolean): LogFormat {
  const a = (accept ?? '').toLowerCase();
  if (a.includes('text/event-stream')) return 'sse';
  if (a.includes('application/x-ndjson')) return 'ndjson';
  if (follow) return 'text';
  return a.includes('text/plain') && !a.includes('application/json') ? 'text' : 'json';
}

function format(entry: LogEntry, kind: Exclude<LogFormat, 'json'>): string {
  switch (kind) {
    case 'text':
      return `${entry.timestamp ? `${entry.timestamp} ` : ''}${entry.line}\n`;
    case 'ndjson':
      return `${JSON.stringify(entry)}\n`;
    case 'sse':
      return `event: ${entry.stream}\n${entry.timestamp ? `id: ${entry.timestamp}\n` : ''}data: ${entry.line}\n\n`;
  }
}

/**
 * Streams log lines to the client as they arrive and ends when the engine stream ends (the
 * container stopped, or the logs were read to the end). If the client leaves first, the engine
 * stream is destroyed at once.
 */
export async function writeLogStream(res: Response, logs: LogStream, kind: Exclude<LogFormat, 'json'>): Promise<void> {
  res.status(200);
  res.setHeader('Content-Type', CONTENT_TYPES[kind]);
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  let gone = false;
  const leave = () => {
    gone = true;
    logs.close();
  };
  res.once('close', leave);
  const heartbeat = kind === 'sse' ? setInterval(() => !gone && res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS) : undefined;
  heartbeat?.unref();
  try {
    for await (const batch of logs.batches) {
      if (gone) break;
      if (!res.write(batch.map((e) => format(e, kind)).join(''))) {
        await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
    }
    if (!gone && kind === 'sse') res.write('event: end\ndata: {}\n\n');
  } catch (err) {
    if (!gone && kind === 'sse') res.write(`event: error\ndata: ${JSON.stringify({ message: (err as Error).message })}\n\n`);
  } finally {
    clearInterval(heartbeat);
    res.off('close', leave);
    logs.close();
    res.end();
  }
}
