import { Inject, Injectable } from '@nestjs/common';
import { realpathSync } from 'node:fs';
import type Docker from 'dockerode';
import { isOwner } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { DomainError } from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { BERTH_LABELS, DockerService } from '../docker/docker.service';
import { checkContainerPolicy, checkQuotas, normalizeHostPath, EngineContainerConfig, PolicyCheckOptions, PolicyViolation, QuotaRequest, TeamUsage } from './container-policy';
import type { TeamPolicyDto, TeamPolicyResponseDto } from './dto/team-policy.dto';
import { PolicyRepository, TeamPolicyRow } from './policy.repository';
import { effectivePolicy, normalizeCapability, TeamPolicy } from './team-policy';

/**
 * Where a container is about to come from, which decides the quotas counted:
 * - `container`: POST /containers — one more container for the team;
 * - `deployment`: a deployment's spec at apply/scale/run/restart/rollback time, and each replica
 *   a rollout or the reconciler starts — the team's other containers plus `replicas` of these;
 * - `migration`: a deployment's one-off migrate container (transient: switches only, no quotas);
 * - `exec`: a process in an existing container (switches only).
 */
export type AdmitContext =
  | { kind: 'container' }
  /**
   * `engineOptional`: at apply time a deployment is accepted while the engine is away (its
   * operation waits for it); the quotas that need the engine's count are then left to the
   * admission of each replica when the rollout creates it.
   */
  | { kind: 'deployment'; deployment: string; replicas: number; engineOptional?: boolean }
  | { kind: 'migration'; deployment: string }
  | { kind: 'exec' };

/** The parts of an exec the policy reads (dockerode ExecCreateOptions). */
export interface ExecOptions {
  Privileged?: boolean;
  User?: string;
  [key: string]: unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const INACTIVE_STATES = new Set(['exited', 'dead']);

/**
 * The one admission checkpoint: every path that creates a container or an exec on the engine
 * (POST /containers, deployment replicas and migrate containers, exec over HTTP and /ws) calls
 * `admit` with the normalized configuration it is about to send. Owner tokens are not checked.
 */
@Injectable()
export class PolicyService {
  private readonly checkOptions: PolicyCheckOptions;

  constructor(
    @Inject(PolicyRepository) private readonly repo: PolicyRepository,
    @Inject(DockerService) private readonly docker: DockerService,
    @Inject(AppConfig) config: AppConfig,
  ) {
    const host = config.docker.host ?? 'unix:///var/run/docker.sock';
    this.checkOptions = {
      resolvePath: (path) => {
        try {
          return realpathSync.native(path);
        } catch {
          return undefined;
        }
      },
      dockerSockets: host.startsWith('unix://') ? [host.slice('unix://'.length)] : [],
    };
  }

  /** A team's effective policy (defaults for whatever the owner has not set); 404 for an unknown team. */
  async policyOf(teamId: string): Promise<TeamPolicy> {
    const row = UUID.test(teamId) ? await this.repo.find(teamId) : null;
    if (!row) throw DomainError.notFound('Team', teamId);
    return effectivePolicy(row.policy);
  }

  /** GET /teams/:id/policy: a team admin reads their own team's, the owner any team's; any other team is a 404. */
  async view(principal: Principal, teamId: string): Promise<TeamPolicyResponseDto> {
    if (!isOwner(principal) && principal.teamId !== teamId) throw DomainError.notFound('Team', teamId);
    const row = await this.repo.find(teamId);
    if (!row) throw DomainError.notFound('Team', teamId);
    return toResponse(row);
  }

  /** PUT /teams/:id/policy (owner): replaces what the owner set; omitted fields take their defaults. */
  async replace(teamId: string, dto: TeamPolicyDto): Promise<TeamPolicyResponseDto> {
    if (dto.hostPorts && dto.hostPorts.min > dto.hostPorts.max) {
      throw new DomainError('VALIDATION_FAILED', 'Validation failed: hostPorts.min must not be above hostPorts.max', [
        { field: 'hostPorts.min', rule: 'range', message: 'hostPorts.min must not be above hostPorts.max' },
      ]);
    }
    const stored = JSON.parse(JSON.stringify(dto)) as Record<string, unknown> & TeamPolicyDto;
    if (stored.bindMounts) stored.bindMounts = [...new Set(stored.bindMounts.map(normalizeHostPath))];
    if (stored.allow?.capabilities) stored.allow.capabilities = [...new Set(stored.allow.capabilities.map(normalizeCapability))];
    const row = await this.repo.save(teamId, stored);
    if (!row) throw DomainError.notFound('Team', teamId);
    return toResponse(row);
  }

  /**
   * Checks `config` (several configs — e.g. a deployment's replica and migrate containers — are
   * checked together and every violation reported once) against the team's policy and quotas.
   * Throws FORBIDDEN listing every violation; returns when the request may go to the engine.
   */
  async admit(teamId: string, principal: Pick<Principal, 'role'>, config: EngineContainerConfig | EngineContainerConfig[], context: AdmitContext): Promise<void> {
    if (isOwner(principal)) return;
    const configs = Array.isArray(config) ? config : [config];
    const policy = await this.policyOf(teamId);
    const violations = dedupe(configs.flatMap((c) => checkContainerPolicy(c, policy, this.checkOptions)));
    if (context.kind === 'container' || context.kind === 'deployment') {
      const memory = memoryOf(configs[0]);
      const request: QuotaRequest =
        context.kind === 'container' ? { containers: 1, memoryBytes: memory } : { containers: context.replicas, memoryBytes: memory * context.replicas, replicas: context.replicas };
      const deployment = context.kind === 'deployment' ? context.deployment : undefined;
      const usage = await this.usage(teamId, policy, request, deployment).catch((err) => {
        if (context.kind === 'deployment' && context.engineOptional && err instanceof DomainError && err.code === 'ENGINE_UNAVAILABLE') return undefined;
        throw err;
      });
      violations.push(...(usage ? checkQuotas(policy, usage, request) : checkQuotas(policy, { containers: 0, memoryBytes: 0 }, { containers: 0, memoryBytes: 0, replicas: request.replicas })));
    }
    if (violations.length) throw refusal(violations);
  }

  /**
   * An exec runs with the powers of its container, so the container's own configuration must
   * still pass the team's current policy (it may be an adopted container, or one created before
   * the owner took a permission back); a privileged exec is refused outright. No rule on the
   * user: root in the container is only what the container's configuration allows.
   */
  async admitExec(principal: Principal, containerId: string, exec: ExecOptions, hostConfig?: object): Promise<void> {
    if (isOwner(principal)) return;
    const policy = await this.policyOf(principal.teamId);
    hostConfig ??= (await this.docker.call('containerInspect', (d) => d.getContainer(containerId).inspect())).HostConfig;
    const violations = hostConfig ? checkContainerPolicy({ HostConfig: hostConfig }, policy, this.checkOptions).map((v) => ({ ...v, message: `the container: ${v.message}` })) : [];
    if (exec.Privileged === true && !policy.allow.privileged) violations.unshift({ field: 'Privileged', rule: 'privileged', message: 'a privileged exec is not allowed for this team' });
    if (violations.length) throw refusal(violations);
  }

  /**
   * Who a deployment revision's containers are admitted as: its author when that token is an
   * owner token (the owner approved the spec), otherwise a team member.
   */
  async revisionPrincipal(teamId: string, authorTokenId: string | null | undefined): Promise<Principal> {
    const role = authorTokenId && UUID.test(authorTokenId) ? await this.repo.tokenRole(authorTokenId) : null;
    return { tokenId: authorTokenId ?? '', teamId, role: role === 'owner' ? 'owner' : 'deployer', deployments: [] };
  }

  /** The team's containers (by io.berth.team label) and, when it matters, the sum of their memory limits; `deployment`'s own are left out. */
  private async usage(teamId: string, policy: TeamPolicy, request: QuotaRequest, deployment?: string): Promise<TeamUsage> {
    const needContainers = policy.quotas.containers !== null && request.containers > 0;
    const needMemory = policy.quotas.totalMemoryBytes !== null && request.memoryBytes > 0;
    if (!needContainers && !needMemory) return { containers: 0, memoryBytes: 0 };
    const list = await this.docker.call('listContainers', (d) => d.listContainers({ all: true, filters: { label: [`${BERTH_LABELS.team}=${teamId}`] } }));
    const others = list.filter((c) => deployment === undefined || c.Labels?.[BERTH_LABELS.deployment] !== deployment);
    let memoryBytes = 0;
    if (needMemory) {
      const active = others.filter((c) => !INACTIVE_STATES.has(c.State));
      const limits = await Promise.all(
        active.map((c) =>
          this.docker
            .call('containerInspect', (d) => d.getContainer(c.Id).inspect())
            .then((info: Docker.ContainerInspectInfo) => info.HostConfig?.Memory ?? 0)
            .catch(() => 0),
        ),
      );
      memoryBytes = limits.reduce((a, b) => a + b, 0);
    }
    return { containers: others.length, memoryBytes };
  }
}

function toResponse(row: TeamPolicyRow): TeamPolicyResponseDto {
  return { teamId: row.id, team: row.name, policy: effectivePolicy(row.policy) };
}

function memoryOf(config: EngineContainerConfig | undefined): number {
  const memory = (config?.HostConfig as { Memory?: unknown } | undefined)?.Memory;
  return typeof memory === 'number' && memory > 0 ? memory : 0;
}

function dedupe(violations: PolicyViolation[]): PolicyViolation[] {
  const seen = new Set<string>();
  return violations.filter((v) => {
    const key = `${v.field}\0${v.rule}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function refusal(violations: PolicyViolation[]): DomainError {
  const rules = [...new Set(violations.map((v) => v.rule))].join(', ');
  return new DomainError('FORBIDDEN', `Refused by the team's container policy (${rules}): ${violations.map((v) => v.message).join('; ')}`, violations);
}
