import { Inject, Injectable } from '@nestjs/common';
import { DockerService } from '../docker/docker.service';
import { PrismaService } from '../database/prisma.service';
import { DependencyCheckDto, ReadinessDto } from './dto/readiness.dto';

const CHECK_TIMEOUT_MS = 3000;

async function timed(fn: () => Promise<unknown>): Promise<DependencyCheckDto> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { status: 'up', latencyMs: round(performance.now() - start) };
  } catch (err) {
    return { status: 'down', latencyMs: round(performance.now() - start), error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

@Injectable()
export class HealthService {
  constructor(
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @Inject(DockerService) private readonly docker: DockerService,
  ) {}

  async readiness(): Promise<ReadinessDto> {
    const [database, docker] = await Promise.all([timed(() => this.prisma.$queryRaw`SELECT 1`), timed(() => this.docker.ping())]);
    return { status: database.status === 'up' && docker.status === 'up' ? 'ready' : 'not_ready', checks: { database, docker } };
  }
}
