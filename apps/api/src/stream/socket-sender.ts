import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { CLOSE_CODES, ServerMessage } from './stream-protocol';

/**
 * The bounded send side of one socket. `ws` queues whatever it is given; this class decides what
 * it is given, so a consumer that cannot keep up never grows the server's memory without bound:
 *
 * - `offer()` (data: log lines, live events) sends only while the socket's buffered bytes stay
 *   under the limit, and otherwise says no — the caller drops (logs) or ends the subscription (events).
 * - `send()` (control: subscribed, error, dropped…; exec output, whose producer is paused instead)
 *   always queues, up to twice the limit; past that the client has stopped reading altogether and
 *   the socket is closed (4413).
 * - 'drain' is emitted once the buffer is back under half the limit after something was refused
 *   (or after `send()` went over the limit), so callers can report drops or resume.
 *
 * Messages are sent as text frames from Buffers: a message fanned out to many sockets is
 * serialized and encoded once.
 */
export class SocketSender extends EventEmitter {
  private wantsDrain = false;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    readonly limit: number,
  ) {
    super();
    this.setMaxListeners(0);
  }

  /** Bytes queued for this socket and not yet handed to the kernel. */
  get buffered(): number {
    return this.ws.bufferedAmount;
  }

  get open(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  /** True when the buffer has room for more data. */
  get hasRoom(): boolean {
    return this.ws.bufferedAmount < this.limit;
  }

  /**
   * Sends `data` if it fits under the limit (or the buffer is empty: one message may always go),
   * else refuses and remembers to emit 'drain' later.
   */
  offer(data: Buffer): boolean {
    if (!this.open) return false;
    const buffered = this.ws.bufferedAmount;
    if (buffered > 0 && buffered + data.length > this.limit) {
      this.wantsDrain = true;
      return false;
    }
    this.write(data);
    return true;
  }

  /** Queues a message regardless of the soft limit. Returns whether the buffer still has room. */
  send(message: ServerMessage | Buffer): boolean {
    if (!this.open) return false;
    const data = Buffer.isBuffer(message) ? message : Buffer.from(JSON.stringify(message));
    if (this.ws.bufferedAmount + data.length > 2 * this.limit) {
      // The peer has stopped reading altogether. Nothing more is queued; the close frame waits
      // behind the backlog and ws destroys the socket if the peer never reads it.
      this.closed = true;
      this.ws.close(CLOSE_CODES.SEND_BUFFER_OVERFLOW, 'Send buffer overflow: the client stopped reading');
      this.emit('overflow');
      return false;
    }
    this.write(data);
    if (this.ws.bufferedAmount >= this.limit) {
      this.wantsDrain = true;
      return false;
    }
    return true;
  }

  /** Resolves when the buffer has room (immediately when it has). */
  waitForRoom(): Promise<void> {
    if (this.hasRoom || !this.open) return Promise.resolve();
    this.wantsDrain = true;
    return new Promise((resolve) => {
      const done = () => {
        this.off('drain', done);
        this.off('closed', done);
        resolve();
      };
      this.on('drain', done);
      this.on('closed', done);
    });
  }

  /** The socket closed: wake anyone waiting for room, and refuse everything from now on. */
  markClosed(): void {
    this.closed = true;
    this.emit('closed');
  }

  private write(data: Buffer): void {
    this.ws.send(data, { binary: false }, this.written);
  }

  private readonly written = (): void => {
    if (this.wantsDrain && this.ws.bufferedAmount <= this.limit / 2) {
      this.wantsDrain = false;
      this.emit('drain');
    }
  };
}
