import { StringDecoder } from 'node:string_decoder';

export type StreamName = 'stdout' | 'stderr';

export interface LogEntry {
  stream: StreamName;
  /** The engine's RFC 3339 nanosecond timestamp, when requested. */
  timestamp?: string;
  line: string;
}

export interface Frame {
  stream: 'stdin' | StreamName;
  payload: Buffer;
}

const HEADER = 8;
const STREAMS = ['stdin', 'stdout', 'stderr'] as const;

/**
 * Splits the engine's multiplexed stream (non-TTY logs, attach and exec): each frame is an 8-byte
 * header — stream type (0 stdin, 1 stdout, 2 stderr), three zero bytes, payload size as uint32
 * big-endian — followed by the payload. Chunks may cut headers and payloads anywhere.
 */
export class FrameDemuxer {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes < HEADER) return [];
    let buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    const frames: Frame[] = [];
    let offset = 0;
    while (buf.length - offset >= HEADER) {
      const stream = STREAMS[buf[offset]];
      if (stream === undefined || buf[offset + 1] !== 0 || buf[offset + 2] !== 0 || buf[offset + 3] !== 0) {
        throw new Error(`Malformed engine stream: bad frame header at byte ${offset}`);
      }
      const size = buf.readUInt32BE(offset + 4);
      if (buf.length - offset - HEADER < size) break;
      frames.push({ stream, payload: buf.subarray(offset + HEADER, offset + HEADER + size) });
      offset += HEADER + size;
    }
    buf = buf.subarray(offset);
    this.pending = buf.length ? [buf] : [];
    this.pendingBytes = buf.length;
    return frames;
  }

  /** Bytes of an incomplete frame still waiting for the rest. */
  get buffered(): number {
    return this.pendingBytes;
  }
}

/**
 * Turns engine log output into lines: demultiplexes non-TTY streams, decodes UTF-8 across chunk
 * boundaries, keeps stdout and stderr apart, and splits off the timestamp prefix.
 */
export class LogParser {
  private readonly demuxer = new FrameDemuxer();
  private readonly partial: Record<StreamName, string> = { stdout: '', stderr: '' };
  private readonly decoders: Record<StreamName, StringDecoder> = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  constructor(private readonly options: { tty: boolean; timestamps: boolean }) {}

  push(chunk: Buffer): LogEntry[] {
    if (this.options.tty) return this.text('stdout', chunk);
    return this.demuxer.push(chunk).flatMap((f) => (f.stream === 'stdin' ? [] : this.text(f.stream, f.payload)));
  }

  /** The stream ended: whatever is left without a final newline becomes a last line. */
  end(): LogEntry[] {
    return (['stdout', 'stderr'] as const).flatMap((s) => {
      const rest = this.partial[s] + this.decoders[s].end();
      this.partial[s] = '';
      return rest ? [this.entry(s, rest)] : [];
    });
  }

  private text(stream: StreamName, payload: Buffer): LogEntry[] {
    const text = this.partial[stream] + this.decoders[stream].write(payload);
    const lines = text.split('\n');
    this.partial[stream] = lines.pop() ?? '';
    return lines.map((l) => this.entry(stream, l));
  }

  private entry(stream: StreamName, raw: string): LogEntry {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (!this.options.timestamps) return { stream, line };
    const space = line.indexOf(' ');
    return space > 0 ? { stream, timestamp: line.slice(0, space), line: line.slice(space + 1) } : { stream, timestamp: line, line: '' };
  }
}
