import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { DockerService } from '../docker/docker.service';
import { PolicyService } from '../policy/policy.service';
import { ContainerAccessService } from './container-access.service';
import { DomainError } from '../common/domain-error';
import { EXEC_TIMEOUT_DEFAULT_SECONDS, type ContainerExecDto, type ContainerExecResultDto } from './dto/container-exec.dto';
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
    @Inject(PolicyService) private readonly policy: PolicyService,
  ) {}

  async exec(principal: Principal, ref: string, dto: ContainerExecDto, signal?: AbortSignal): Promise<ContainerExecResultDto> {
    const c = await this.access.resolve(principal, ref);
    const options = {
      Cmd: dto.cmd,
      Env: Object.entries(dto.env ?? {}).map(([k, v]) => `${k}=${v}`),
      ...(dto.workdir ? { WorkingDir: dto.workdir } : {}),
      ...(dto.user ? { User: dto.user } : {}),
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    };
    await this.policy.admitExec(principal, c.info.Id, options, c.info.HostConfig);
    const exec = await this.docker.call('execCreate', (d) => d.getContainer(c.info.Id).exec(options));
    const stream = await this.docker.openStream('execStart', (d) => d.getExec(exec.id).start({ hijack: true, stdin: false, Detach: false, Tty: false }));
    const out = { stdout: new Capture(), stderr: new Capture() };
    const demuxer = new FrameDemuxer();
    const abort = () => stream.destroy();
    signal?.addEventListener('abort', abort, { once: true });
    // The engine has no call to stop or signal an exec (its process only ends when it exits or
    // the container stops): past the timeout Berth stops waiting, closes its attach stream and
    // reports whether the process is still running.
    const timeoutSeconds = dto.timeoutSeconds ?? EXEC_TIMEOUT_DEFAULT_SECONDS;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stream.destroy();
    }, timeoutSeconds * 1000);
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
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
      stream.destroy();
    }
    if (timedOut) throw await this.timeoutError(exec.id, timeoutSeconds);
    const info = await this.exitStatus(exec.id);
    return {
      exitCode: info.ExitCode ?? -1,
      stdout: out.stdout.text(),
      stderr: out.stderr.text(),
      truncated: out.stdout.truncated || out.stderr.truncated,
    };
  }

  private async timeoutError(id: string, timeoutSeconds: number): Promise<DomainError> {
    const info = await this.docker.call('execInspect', (d) => d.getExec(id).inspect()).catch(() => undefined);
    const state = !info
      ? 'its state is unknown'
      : info.Running
        ? `it is still running (host pid ${info.Pid}): the engine cannot kill an exec, stop or restart the container to end it`
        : `it has exited since (code ${info.ExitCode})`;
    return new DomainError('TIMEOUT', `Exec ${id.slice(0, 12)} did not finish within ${timeoutSeconds} s (timeoutSeconds); Berth stopped waiting and ${state}`, [
      { field: 'timeoutSeconds', rule: 'exceeded', message: `The command ran longer than ${timeoutSeconds} s` },
    ]);
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
