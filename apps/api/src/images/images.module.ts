import { Module } from '@nestjs/common';
import { RegistriesModule } from '../registries/registries.module';
import { ImageBuildService } from './build/image-build.service';
import { ImageAccessService } from './image-access.service';
import { ImagePullService } from './image-pull.service';
import { ImagePushService } from './image-push.service';
import { ImagesController } from './images.controller';
import { ImagesService } from './images.service';
import { TeamImagesRepository } from './team-images.repository';

/** Images on the engine, team-scoped. Exports ImagesService (ensureImage) for containers and deployments. */
@Module({
  imports: [RegistriesModule],
  controllers: [ImagesController],
  providers: [TeamImagesRepository, ImageAccessService, ImagePullService, ImagePushService, ImageBuildService, ImagesService],
  exports: [ImagesService],
})
export class ImagesModule {}
