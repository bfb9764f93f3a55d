import { Module } from '@nestjs/common';
import { RegistriesController } from './registries.controller';
import { RegistriesRepository } from './registries.repository';
import { RegistriesService } from './registries.service';

@Module({ controllers: [RegistriesController], providers: [RegistriesRepository, RegistriesService], exports: [RegistriesService] })
export class RegistriesModule {}
