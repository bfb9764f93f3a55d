import { connect, createServer, Server, Socket } from 'node:net';
import { EventEmitter } from 'node:events';

/**
 * A unix socket that forwards to the real Docker Engine, for tests that need to control the
 * engine's reachability or timing: `hold()` parks new request data until `release()`.
 */
export class EngineProxy extends EventEmitter {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private holding = false;
  private parked: Array<() => void> = [];
  private delays: Array<{ pattern: RegExp; ms: number }> = [];

  constructor(readonly path: string) {
    super();
  }

  listen(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect((process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, ''));
      this.sockets.add(client).add(upstream);
      // Chunks behind a delayed request on the same connection wait for it (keep-alive order).
      let queue: Promise<void> | undefined;
      client.on('data', (chunk: Buffer) => {
        const forward = () => {
          if (this.holding) {
            this.parked.push(() => upstream.write(chunk));
            this.emit('held');
          } else upstream.write(chunk);
        };
        const head = chunk.toString('latin1', 0, Math.min(chunk.length, 256));
        const ms = this.delays.find((d) => d.pattern.test(head))?.ms ?? 0;
        if (!ms && !queue) return forward();
        const next: Promise<void> = (queue ?? Promise.resolve()).then(() => (ms ? new Promise<void>((r) => setTimeout(r, ms)) : undefined)).then(forward);
        queue = next;
        void next.then(() => {
          if (queue === next) queue = undefined;
        });
      });
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    return new Promise((resolve) => this.server!.listen(this.path, resolve));
  }

  /** The engine "goes away": open connections drop and new ones are refused until up(). */
  async down(): Promise<void> {
    await this.close();
  }

  async up(): Promise<void> {
    await this.listen();
  }

  /** Requests whose first line matches `pattern` (e.g. /^POST \S*\/start/) reach the engine `ms` late — a slow engine, not a gone one. */
  delay(pattern: RegExp, ms: number): void {
    this.delays.push({ pattern, ms });
  }

  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const forward of this.parked.splice(0)) forward();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
  }
}
