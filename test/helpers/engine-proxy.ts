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

  constructor(readonly path: string) {
    super();
  }

  listen(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect((process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, ''));
      this.sockets.add(client).add(upstream);
      client.on('data', (chunk) => {
        const forward = () => upstream.write(chunk);
        if (this.holding) {
          this.parked.push(forward);
          this.emit('held');
        } else forward();
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
