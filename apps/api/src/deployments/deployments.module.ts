import { Module } from '@nestjs/common';
import { ImagesModule } from '../images/images.module';
import { DeploymentLocks, DeploymentQueue } from './deployment-queue';
import { DeploymentStatusService } from './deployment-status.service';
import { DeploymentsController } from './deployments.controller';
import { DeploymentsRepository } from './deployments.repository';
import { DeploymentsService } from './deployments.service';
import { ENGINE_DRIVER } from './engine-driver';
import { ReconcilerService } from './reconciler.service';
import { RolloutService } from './rollout.service';
import { SpecCodec } from './spec-codec';
import { StandaloneDriver } from './standalone-driver';

@Module({
  imports: [ImagesModule],
  controllers: [DeploymentsController],
  providers: [
    DeploymentsRepository,
    DeploymentsService,
    DeploymentStatusService,
    DeploymentQueue,
    DeploymentLocks,
    SpecCodec,
    RolloutService,
    ReconcilerService,
    StandaloneDriver,
    { provide: ENGINE_DRIVER, useExisting: StandaloneDriver },
  ],
})
export class DeploymentsModule {}
