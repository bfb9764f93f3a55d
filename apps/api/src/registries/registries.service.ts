import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { CryptoService } from '../crypto/crypto.service';
import { engineMessage } from '../docker/docker-errors';
import { DockerService } from '../docker/docker.service';
import { EventsService } from '../events/events.service';
import type { Registry } from '../generated/prisma/client';
import { sameRegistry } from '../images/image-reference';
import { CreateRegistryDto } from './dto/create-registry.dto';
import { RegistryVerifyResponseDto } from './dto/registry-response.dto';
import { UpdateRegistryDto } from './dto/update-registry.dto';
import { RegistriesRepository, RegistryData } from './registries.repository';
import { engineServerAddress, normaliseServerAddress } from './registry-address';

/** The X-Registry-Auth payload the engine takes for pull, push and login. */
export interface EngineAuthConfig {
  username: string;
  password: string;
  serveraddress: string;
}

/** A team registry resolved for an engine call; `auth` is undefined for a registry without credentials. */
export interface RegistryCredentials {
  registry: Pick<Registry, 'id' | 'name' | 'serverAddress'>;
  auth?: EngineAuthConfig;
}

const invalid = (field: string, rule: string, message: string) => new DomainError('VALIDATION_FAILED', `Validation failed: ${message}`, [{ field, rule, message }]);

/**
 * Registries are per team. Secrets are encrypted at rest with CryptoService (AES-256-GCM) and
 * only ever decrypted to build an engine auth config; no response, event or log line carries them.
 */
@Injectable()
export class RegistriesService {
  constructor(
    @Inject(RegistriesRepository) private readonly repo: RegistriesRepository,
    @Inject(CryptoService) private readonly crypto: CryptoService,
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(EventsService) private readonly events: EventsService,
  ) {}

  async create(principal: Principal, dto: CreateRegistryDto): Promise<Registry> {
    // null (accepted by @IsOptional) means "none" here, as it does in PATCH.
    dto = { ...dto, username: dto.username ?? undefined, password: dto.password ?? undefined };
    if (dto.password !== undefined && dto.username === undefined) throw invalid('username', 'requiredWith', 'username is required when a password is given');
    await this.assertNameFree(principal.teamId, dto.name);
    const registry = await this.repo
      .create(principal.teamId, {
        name: dto.name,
        serverAddress: normaliseServerAddress(dto.serverAddress)!,
        username: dto.username ?? null,
        secretCiphertext: dto.password !== undefined ? this.crypto.encrypt(dto.password) : null,
      })
      .catch((err) => this.nameConflict(err, dto.name));
    await this.events.publish(registry.teamId, 'registry.created', { registryId: registry.id, name: registry.name, serverAddress: registry.serverAddress });
    return registry;
  }

  list(principal: Principal): Promise<Registry[]> {
    return this.repo.list(this.scope(principal));
  }

  async get(principal: Principal, id: string): Promise<Registry> {
    const registry = await this.repo.find(id, this.scope(principal));
    if (!registry) throw DomainError.notFound('Registry', id);
    return registry;
  }

  async update(principal: Principal, id: string, dto: UpdateRegistryDto): Promise<Registry> {
    const current = await this.get(principal, id);
    const data: Partial<RegistryData> = {};
    if (dto.name !== undefined && dto.name !== current.name) {
      await this.assertNameFree(current.teamId, dto.name);
      data.name = dto.name;
    }
    const serverAddress = dto.serverAddress !== undefined ? normaliseServerAddress(dto.serverAddress)! : current.serverAddress;
    if (serverAddress !== current.serverAddress) {
      // Never let a stored secret follow the registry to a new address: it would be sent there on the next verify or pull.
      if (current.secretCiphertext && dto.password === undefined) {
        throw invalid('password', 'requiredWith', 'password is required when changing serverAddress of a registry with stored credentials (or null to remove it)');
      }
      data.serverAddress = serverAddress;
    }
    if (dto.username === null) {
      data.username = null;
      data.secretCiphertext = null;
      if (typeof dto.password === 'string') throw invalid('password', 'requiredWith', 'a password needs a username');
    } else if (dto.username !== undefined) {
      data.username = dto.username;
    }
    if (dto.password === null) data.secretCiphertext = null;
    else if (dto.password !== undefined) {
      if (!(data.username ?? current.username)) throw invalid('username', 'requiredWith', 'username is required when a password is given');
      data.secretCiphertext = this.crypto.encrypt(dto.password);
    }
    const updated = await this.repo.update(id, data).catch((err) => this.nameConflict(err, dto.name ?? current.name));
    await this.events.publish(updated.teamId, 'registry.updated', {
      registryId: updated.id,
      name: updated.name,
      serverAddress: updated.serverAddress,
      credentialsChanged: 'secretCiphertext' in data || 'username' in data,
    });
    return updated;
  }

  async remove(principal: Principal, id: string): Promise<void> {
    const registry = await this.get(principal, id);
    await this.repo.delete(registry.id);
    await this.events.publish(registry.teamId, 'registry.deleted', { registryId: registry.id, name: registry.name, serverAddress: registry.serverAddress });
  }

  /** Logs in with the stored credentials through the engine (`POST /auth`) and reports what the registry said. */
  async verify(principal: Principal, id: string): Promise<RegistryVerifyResponseDto> {
    const registry = await this.get(principal, id);
    const auth = this.authConfig(registry) ?? { username: '', password: '', serveraddress: engineServerAddress(registry.serverAddress) };
    try {
      const result = await this.docker.call('checkAuth', (d) => d.checkAuth({ ...auth }));
      return { ok: true, serverAddress: registry.serverAddress, message: String((result as { Status?: string })?.Status ?? 'Login Succeeded') };
    } catch (err) {
      const cause = (err as DomainError).cause as { statusCode?: number } | undefined;
      if ((err as DomainError).code === 'ENGINE_UNAVAILABLE' || !cause?.statusCode) throw err;
      return { ok: false, serverAddress: registry.serverAddress, message: engineMessage(cause as never) };
    }
  }

  /**
   * The team's registry for a host, for pulls and deployments: the oldest one with credentials,
   * else the oldest without. Undefined when the team has none for that host (anonymous access).
   */
  async credentialsForHost(teamId: string, host: string): Promise<RegistryCredentials | undefined> {
    const matching = (await this.repo.list(teamId)).filter((r) => sameRegistry(r.serverAddress, host));
    matching.sort((a, b) => Number(b.secretCiphertext !== null) - Number(a.secretCiphertext !== null) || a.createdAt.getTime() - b.createdAt.getTime());
    const registry = matching[0];
    return registry ? { registry, auth: this.authConfig(registry) } : undefined;
  }

  /** A registry chosen by id (scoped like every lookup); it must serve `host`. */
  async credentialsById(principal: Principal, id: string, host: string): Promise<RegistryCredentials> {
    const registry = await this.get(principal, id);
    if (!sameRegistry(registry.serverAddress, host)) {
      throw invalid('registryId', 'registryHost', `registry "${registry.name}" is ${registry.serverAddress}, but the image reference names ${host}`);
    }
    return { registry, auth: this.authConfig(registry) };
  }

  /** The team's credentials for every registry, keyed by server address: the engine's X-Registry-Config for builds. */
  async registryConfig(teamId: string): Promise<Record<string, { username: string; password: string }>> {
    const config: Record<string, { username: string; password: string }> = {};
    for (const registry of await this.repo.list(teamId)) {
      const auth = this.authConfig(registry);
      if (auth && !config[auth.serveraddress]) config[auth.serveraddress] = { username: auth.username, password: auth.password };
    }
    return config;
  }

  private authConfig(registry: Registry): EngineAuthConfig | undefined {
    if (!registry.username || !registry.secretCiphertext) return undefined;
    return { username: registry.username, password: this.crypto.decrypt(registry.secretCiphertext), serveraddress: engineServerAddress(registry.serverAddress) };
  }

  private scope(principal: Principal): string | undefined {
    return principal.role === 'owner' ? undefined : principal.teamId;
  }

  private async assertNameFree(teamId: string, name: string): Promise<void> {
    if (await this.repo.findByName(teamId, name)) throw new DomainError('CONFLICT', `A registry named "${name}" already exists in this team`);
  }

  private nameConflict(err: unknown, name: string): never {
    if ((err as { code?: string })?.code === 'P2002') throw new DomainError('CONFLICT', `A registry named "${name}" already exists in this team`);
    throw err;
  }
}
