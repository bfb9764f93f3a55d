// The floor for GET /containers in NestJS: a one-controller Nest app on the Express adapter (as
// Berth) making the same dockerode call and mapping, with no guard, pipe, logger or middleware.
// bench:api measures it next to Berth (BENCH_FLOOR=0 skips it).
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import Docker from 'dockerode';
import { toSummary } from '../../apps/api/src/containers/container-view';

const docker = new Docker({ socketPath: (process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock').replace(/^unix:\/\//, '') });

@Controller()
class FloorController {
  @Get('containers')
  async list() {
    return (await docker.listContainers({ all: false, filters: {} })).map((c) => toSummary(c));
  }

  @Get('health/ready')
  ready() {
    return 'ok';
  }
}

@Module({ controllers: [FloorController] })
class FloorModule {}

async function main() {
  const app = await NestFactory.create<NestExpressApplication>(FloorModule, { logger: false, bodyParser: false });
  await app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
}
void main();
