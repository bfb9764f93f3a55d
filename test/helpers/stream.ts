import WebSocket from 'ws';
import { waitFor } from './wait';

export interface Closed {
  code: number;
  reason: string;
}

/** ws://… of an API's /ws endpoint, from its http:// URL. */
export const wsUrl = (httpUrl: string, query = '') => `${httpUrl.replace(/^http/, 'ws')}/ws${query}`;

/**
 * A real `ws` client for /ws that records what it receives. `onMessage` sees every parsed message;
 * when it returns false the message is not kept (for high-volume tests that only count).
 */
export class StreamClient {
  readonly messages: any[] = [];
  closed?: Closed;
  private refs = 0;
  onMessage?: (m: any) => boolean | void;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString());
      if (this.onMessage?.(m) === false) return;
      this.messages.push(m);
    });
    ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
    ws.on('error', () => undefined);
  }

  /** Opens a socket; `token` goes in the Authorization header unless `via` says otherwise. */
  static async open(httpUrl: string, options: { token?: string; via?: 'header' | 'query' | 'message' } = {}): Promise<StreamClient> {
    const via = options.via ?? 'header';
    const query = options.token && via === 'query' ? `?token=${encodeURIComponent(options.token)}` : '';
    const headers = options.token && via === 'header' ? { Authorization: `Bearer ${options.token}` } : undefined;
    const ws = new WebSocket(wsUrl(httpUrl, query), { headers });
    const client = new StreamClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    if (options.token && via === 'message') client.send({ type: 'auth', token: options.token });
    return client;
  }

  /** Opens and waits for `ready`. */
  static async ready(httpUrl: string, token: string, via?: 'header' | 'query' | 'message'): Promise<StreamClient> {
    const client = await StreamClient.open(httpUrl, { token, via });
    await client.waitFor((m) => m.type === 'ready', 'ready');
    return client;
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  /** The first kept message matching `match` (waiting for it). */
  waitFor(match: (m: any) => boolean, what: string, timeoutMs = 30_000): Promise<any> {
    return waitFor(
      () => {
        if (this.closed && !this.messages.some(match)) throw new Error(`socket closed (${this.closed.code} ${this.closed.reason})`);
        return this.messages.find(match);
      },
      { what, timeoutMs, intervalMs: 20 },
    );
  }

  /** Sends `subscribe` and resolves with the `subscribed` (or throws with the `error`) that answers it. */
  async subscribe(topic: string, options: Record<string, unknown> = {}): Promise<any> {
    const reply = await this.request({ type: 'subscribe', topic, ...options }, 'subscribed');
    if (reply.type === 'error') throw Object.assign(new Error(`${reply.code}: ${reply.message}`), { reply });
    return reply;
  }

  /** Sends a message with a fresh `ref` and resolves with the reply of `type` (or the `error`) carrying it. */
  async request(message: Record<string, unknown>, type: string, timeoutMs = 60_000): Promise<any> {
    const ref = `r${++this.refs}`;
    this.send({ ...message, ref });
    return this.waitFor((m) => m.ref === ref && (m.type === type || m.type === 'error'), `${type} for ${JSON.stringify(message).slice(0, 120)}`, timeoutMs);
  }

  of(type: string, topic?: string): any[] {
    return this.messages.filter((m) => m.type === type && (topic === undefined || m.topic === topic));
  }

  private savedResume?: () => unknown;

  /** Stops reading from the TCP socket: the server's writes pile up in its send buffer. */
  stall(): void {
    const socket = (this.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause();
    // ws resumes the socket when its parser drains; keep it paused until unstall().
    this.savedResume = socket.resume;
    socket.resume = () => socket;
  }

  unstall(): void {
    const socket = (this.ws as unknown as { _socket: import('node:net').Socket })._socket;
    if (this.savedResume) socket.resume = this.savedResume as typeof socket.resume;
    this.savedResume = undefined;
    socket.resume();
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const done = new Promise<void>((resolve) => this.ws.once('close', () => resolve()));
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.CLOSING) this.ws.terminate();
    else this.ws.close();
    await done;
  }

  /** Resolves with the close code and reason when the server closes the socket. */
  async closedBy(timeoutMs = 30_000): Promise<Closed> {
    return waitFor(() => this.closed, { what: 'the server to close the socket', timeoutMs });
  }
}

/** Reads one sample of a Prometheus metric from /metrics text (`name{labels} value`). */
export function metric(text: string, name: string, labels = ''): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(labels ? `${name}{${labels}} ` : `${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}
