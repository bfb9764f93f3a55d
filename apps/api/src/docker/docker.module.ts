import { Global, Module } from '@nestjs/common';
import { DockerService } from './docker.service';
import { EngineEventsService } from './engine-events.service';

@Global()
@Module({ providers: [DockerService, EngineEventsService], exports: [DockerService, EngineEventsService] })
export class DockerModule {}
