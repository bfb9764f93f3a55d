import { Global, Module } from '@nestjs/common';
import { OperationsController } from './operations.controller';
import { OperationsRepository } from './operations.repository';
import { OperationsService } from './operations.service';

@Global()
@Module({ controllers: [OperationsController], providers: [OperationsRepository, OperationsService], exports: [OperationsService] })
export class OperationsModule {}
