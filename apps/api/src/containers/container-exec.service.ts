import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { DockerService } from '../docker/docker.service';
import { ContainerAccessService } from './container-access.service';
import type { ContainerExecDto, ContainerExecResultDto } from './dto/container-exec.dto';
import { FrameDemuxer } from './log-demux';

/** Output kept per stream; the rest is read and dropped, and `truncated` is set. */
export const MAX_EXEC_OUTPUT = 1024 * 1024;

class Capture {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  truncated = false;
  add(b: Buffer): void {
    const room = MAX_EXEC_OUTPUT - this.bytes;
    if (b.length > room) this.truncated = true;
    if (room <= 0) return;
    const part = b.length > room ? b.subarray(0, room) : b;
    this.chunks.push(part);
    this.bytes += part.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Runs a command in a running container to completion (non-interactive `docker exec`). */
@Injectable()
export class ContainerExecService {
  constructor(
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(ContainerAccessService) private readonly access: ContainerAccessService,
  ) {}

  async exec(principal: Principal, ref: string, dto: ContainerExecDto, signal?: AbortSignal): Promise<ContainerExecResultDto> {
    const c = await this.access.resolve(principal, ref);
    const exec = await this.docker.call('execCreate', (d) =>
      d.getContainer(c.info.Id).exec({
        Cmd: dto.cmd,
        Env: Object.entries(dto.env ?? {}).map(([k, v]) => `${k}=${v}`),
        ...(dto.workdir ? { WorkingDir: dto.workdir } : {}),
        ...(dto.user ? { User: dto.user } : {}),
        AttachStdin: false,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
      }),
    );
    const stream = await this.docker.openStream('execStart', (d) => d.getExec(exec.id).start({ hijack: true, stdin: false, Detach: false, Tty: false }));
    const out = { stdout: new Capture(), stderr: new Capture() };
    const demuxer = new FrameDemuxer();
    const abort = () => stream.destroy();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        stream.on('data', (chunk: Buffer) => {
          try {
            for (const f of demuxer.push(chunk)) if (f.stream !== 'stdin') out[f.stream].add(f.payload);
          } catch (err) {
            stream.destroy();
            reject(err);
          }
        });
        stream.once('end', () => resolve());
        stream.once('close', () => resolve());
        stream.once('error', reject);
      });
    } finally {
      signal?.removeEventListener('abort', abort);
      stream.destroy();
    }
    const info = await this.exitStatus(exec.id);
    return {
      exitCode: info.ExitCode ?? -1,
      stdout: out.stdout.text(),
      stderr: out.stderr.text(),
      truncated: out.stdout.truncated || out.stderr.truncated,
    };
  }

  /** The engine records the exit code as the output closes; allow it a moment if the two race. */
  private async exitStatus(id: string): Promise<{ ExitCode: number | null; Running: boolean }> {
    for (let attempt = 0; ; attempt++) {
      const info = await this.docker.call('execInspect', (d) => d.getExec(id).inspect());
      if (!info.Running || attempt >= 40) return info;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
