import { Module } from '@nestjs/common';
import { ContainerScopeService } from './container-scope.service';
import { ContainerStateRecorder } from './container-state-recorder.service';
import { EventFeed } from './event-feed.service';
import { LogFanoutService } from './log-fanout.service';
import { StreamDocsController } from './stream-docs.controller';
import { StreamMetrics } from './stream-metrics';
import { StreamTopicsService } from './stream-topics.service';
import { StreamGateway } from './stream.gateway';
import { StreamRepository } from './stream.repository';
import { StreamService } from './stream.service';

/** The live stream: `/ws` (events, logs, exec) and its AsyncAPI document. See docs/stream.md. */
@Module({
  controllers: [StreamDocsController],
  providers: [
    StreamRepository,
    StreamMetrics,
    EventFeed,
    LogFanoutService,
    ContainerScopeService,
    StreamTopicsService,
    StreamService,
    StreamGateway,
    ContainerStateRecorder,
  ],
  exports: [StreamService, EventFeed, LogFanoutService],
})
export class StreamModule {}
