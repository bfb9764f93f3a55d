import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DatabaseConnection } from '../database/database-connection';
import { DockerService } from '../docker/docker.service';
import { SystemResponseDto } from './dto/system-response.dto';

@Injectable()
export class SystemService {
  constructor(
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(DatabaseConnection) private readonly database: DatabaseConnection,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async describe(): Promise<SystemResponseDto> {
    const [version, info] = await Promise.all([
      this.docker.call('version', (d) => d.version()),
      this.docker.call('info', (d) => d.info()),
    ]);
    return {
      engine: {
        version: version.Version,
        apiVersion: version.ApiVersion,
        minApiVersion: version.MinAPIVersion ?? '',
        os: info.OperatingSystem,
        osType: info.OSType,
        architecture: info.Architecture,
        kernelVersion: info.KernelVersion,
        storageDriver: info.Driver,
        containers: { total: info.Containers, running: info.ContainersRunning, paused: info.ContainersPaused, stopped: info.ContainersStopped },
        images: info.Images,
      },
      berth: { version: this.config.version, databaseMode: this.database.mode },
    };
  }
}
