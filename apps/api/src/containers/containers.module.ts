import { Module } from '@nestjs/common';
import { ImagesModule } from '../images/images.module';
import { ContainerAccessService } from './container-access.service';
import { ContainerAdoptionsRepository } from './container-adoptions.repository';
import { ContainerExecService } from './container-exec.service';
import { ContainerLogsService } from './container-logs.service';
import { ContainerRunService } from './container-run.service';
import { ContainerRunRecoveryService } from './container-run-recovery.service';
import { ContainersController } from './containers.controller';
import { ContainersService } from './containers.service';

@Module({
  imports: [ImagesModule],
  controllers: [ContainersController],
  providers: [ContainerAdoptionsRepository, ContainerAccessService, ContainersService, ContainerRunService, ContainerRunRecoveryService, ContainerLogsService, ContainerExecService],
  exports: [ContainerAccessService],
})
export class ContainersModule {}
