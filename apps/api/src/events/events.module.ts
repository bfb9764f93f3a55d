import { Global, Module } from '@nestjs/common';
import { EventRetentionService } from './event-retention.service';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';

@Global()
@Module({ providers: [EventsRepository, EventsService, EventRetentionService], exports: [EventsService, EventRetentionService] })
export class EventsModule {}
