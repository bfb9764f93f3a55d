import { Logger } from '@nestjs/common';
import { StringDecoder } from 'node:string_decoder';
import type { Duplex } from 'node:stream';
import { FrameDemuxer } from '../containers/log-demux';
import type { DockerService } from '../docker/docker.service';
import type { SocketSender } from './socket-sender';
import type { ExecStartMessage } from './stream-protocol';

/** After `exec.close` (or the socket going away), how long the process gets to exit on EOF before we detach. */
const DETACH_GRACE_MS = 2_000;
const logger = new Logger('ExecSession');

/** The engine's exec-create body for an exec.start (what the container policy admits first, see StreamService.exec). */
export function execCreateOptions(r: ExecStartMessage) {
  return {
    Cmd: r.cmd ?? ['/bin/sh'],
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: r.tty ?? true,
    ...(r.env ? { Env: r.env } : {}),
    ...(r.workdir ? { WorkingDir: r.workdir } : {}),
    ...(r.user ? { User: r.user } : {}),
  };
}

/**
 * An interactive process in a container (`docker exec -it` over /ws): stdin from `exec.stdin`,
 * output as `exec.output`, `exec.resize` for the TTY, and `exec.exit` with the exit code at the end.
 *
 * Output is never dropped: when the socket's send buffer is full the engine stream is paused
 * (TCP pushes back on the process) until the client has read what was sent.
 */
export class ExecSession {
  private socket?: Duplex;
  private execId?: string;
  private finished = false;
  private detachTimer?: NodeJS.Timeout;
  private readonly tty: boolean;

  constructor(
    readonly session: string,
    private readonly containerId: string,
    private readonly request: ExecStartMessage,
    private readonly docker: DockerService,
    private readonly sender: SocketSender,
    private readonly done: (session: ExecSession) => void,
  ) {
    this.tty = request.tty ?? true;
  }

  /** Creates and starts the process; resolves once it runs (`exec.started` sent). */
  async start(): Promise<void> {
    const r = this.request;
    const exec = await this.docker.call('execCreate', (d) => d.getContainer(this.containerId).exec(execCreateOptions(r)));
    this.execId = exec.id;
    const socket = (await this.docker.openStream('execStart', (d) => d.getExec(exec.id).start({ hijack: true, stdin: true, Tty: this.tty }))) as Duplex;
    this.socket = socket;
    this.sender.send({ type: 'exec.started', ...(r.ref !== undefined ? { ref: r.ref } : {}), session: this.session, execId: exec.id, containerId: this.containerId, tty: this.tty });
    this.wireOutput(socket);
    if (this.tty && r.cols && r.rows) await this.resize(r.cols, r.rows).catch((err: Error) => logger.debug?.(`Initial resize of ${exec.id} failed: ${err.message}`));
  }

  write(data: string | undefined, eof: boolean | undefined): void {
    if (!this.socket || this.finished) return;
    if (data) this.socket.write(data);
    if (eof) this.socket.end();
  }

  async resize(cols: number, rows: number): Promise<void> {
    if (!this.execId || !this.tty) return;
    const id = this.execId;
    // The engine refuses a resize in the instant before the process runs; try again once shortly.
    try {
      await this.docker.call('execResize', (d) => d.getExec(id).resize({ h: rows, w: cols }));
    } catch {
      await new Promise((r) => setTimeout(r, 100));
      await this.docker.call('execResize', (d) => d.getExec(id).resize({ h: rows, w: cols }));
    }
  }

  /**
   * Ends the input and detaches if the process is still there after a grace period. A TTY does
   * not pass the connection's end of input on, so it gets what a user would type: Ctrl-D (a shell
   * at its prompt exits). The engine has no call to stop an exec'd process; one that ignores the
   * end of its input keeps running in the container after the session is gone.
   */
  close(): void {
    if (!this.socket || this.finished) return this.finish();
    if (this.detachTimer) return;
    const socket = this.socket;
    this.detachTimer = setTimeout(() => socket.destroy(), DETACH_GRACE_MS);
    this.detachTimer.unref();
    if (!this.tty) return void socket.end();
    // Twice, a moment apart: a line editor busy reading a terminal reply (busybox asks for the
    // cursor position after each prompt) swallows the first one.
    if (socket.writable) socket.write('\x04');
    const again = setTimeout(() => {
      if (!this.finished && socket.writable) socket.write('\x04');
      if (socket.writable) socket.end();
    }, 300);
    again.unref();
  }

  private wireOutput(socket: Duplex): void {
    const decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
    const demuxer = this.tty ? undefined : new FrameDemuxer();
    const emit = (stream: 'stdout' | 'stderr', chunk: Buffer) => {
      const data = decoders[stream].write(chunk);
      if (!data) return;
      const room = this.sender.send({ type: 'exec.output', session: this.session, ...(this.tty ? {} : { stream }), data });
      if (!room && this.sender.open && !socket.isPaused()) {
        socket.pause();
        this.sender.once('drain', () => socket.resume());
      }
    };
    socket.on('data', (chunk: Buffer) => {
      if (!demuxer) return emit('stdout', chunk);
      try {
        for (const frame of demuxer.push(chunk)) if (frame.stream !== 'stdin') emit(frame.stream, frame.payload);
      } catch (err) {
        logger.warn(`Unreadable exec stream ${this.execId}: ${(err as Error).message}`);
        socket.destroy();
      }
    });
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      clearTimeout(this.detachTimer);
      socket.destroy();
      void this.reportExit();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  /** The stream ended: ask the engine for the exit code (it may take a moment to record it). */
  private async reportExit(): Promise<void> {
    let exitCode: number | null = null;
    const id = this.execId!;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const info = await this.docker.call('execInspect', (d) => d.getExec(id).inspect());
        if (!info.Running) {
          exitCode = info.ExitCode ?? null;
          break;
        }
      } catch {
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    this.sender.send({ type: 'exec.exit', session: this.session, exitCode });
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.detachTimer);
    this.done(this);
  }
}
