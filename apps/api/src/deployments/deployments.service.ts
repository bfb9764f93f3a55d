import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { authorizeDeployment } from '../auth/permissions';
import { DomainError } from '../common/domain-error';
import { EventsService } from '../events/events.service';
import type { OperationKind } from '../generated/prisma/enums';
import { parseImageReference } from '../images/image-reference';
import { OperationResponseDto } from '../operations/dto/operation-response.dto';
import { OperationsService } from '../operations/operations.service';
import { PolicyService } from '../policy/policy.service';
import { checkSpecCoherence, normalizeSpec, NormalizedSpec, publicSpec } from './deployment-spec';
import { DeploymentQueue } from './deployment-queue';
import { DeploymentRow, DeploymentsRepository, LockedDeployment, OperationRow, RevisionRow } from './deployments.repository';
import { DeploymentStatusService } from './deployment-status.service';
import { DEPLOYMENT_NAME, DeploymentSpecDto } from './dto/deployment-spec.dto';
import { ApplyResultDto, DeploymentListDto, DeploymentResponseDto, RevisionResponseDto } from './dto/deployment-response.dto';
import { containerConfig } from './replica-config';
import { SpecCodec } from './spec-codec';

export interface RequestOptions {
  ifMatch?: number;
  idempotencyKey?: string;
}

type Action =
  | { kind: 'scale'; replicas: number }
  | { kind: 'run' }
  | { kind: 'stop' }
  | { kind: 'restart' }
  | { kind: 'migrate'; revision?: number }
  | { kind: 'rollback'; revision?: number; automatic?: boolean }
  | { kind: 'delete'; purge: boolean };

const subjectOf = (name: string) => `deployments/${name}`;

/**
 * Accepts deployment changes: validates, writes revisions and queues operations under the
 * deployment's lock, then wakes the worker. It never touches the engine itself.
 */
@Injectable()
export class DeploymentsService {
  constructor(
    @Inject(DeploymentsRepository) private readonly repo: DeploymentsRepository,
    @Inject(SpecCodec) private readonly codec: SpecCodec,
    @Inject(DeploymentQueue) private readonly queue: DeploymentQueue,
    @Inject(EventsService) private readonly events: EventsService,
    @Inject(OperationsService) private readonly operations: OperationsService,
    @Inject(DeploymentStatusService) private readonly status: DeploymentStatusService,
    @Inject(PolicyService) private readonly policy: PolicyService,
  ) {}

  /** PUT (declarative apply) and POST (create only). */
  async apply(principal: Principal, name: string, dto: DeploymentSpecDto, options: RequestOptions & { dryRun?: boolean; createOnly?: boolean }): Promise<ApplyResultDto> {
    this.checkName(name);
    this.checkScope(principal, name);
    const spec = normalizeSpec(dto);
    parseImageReference(spec.image, 'image'); // a malformed reference is a 400, as for POST /containers
    checkSpecCoherence(spec);
    // The container policy and quotas, before any revision or operation is written (a dry run too).
    await this.admitSpec(principal, principal.teamId, name, spec, spec.replicas);
    const hash = this.codec.hash(spec);

    if (options.dryRun) return this.dryRun(principal, name, spec, hash, options.createOnly);

    const outcome = await this.repo.withLock(principal.teamId, name, async (d) => {
      const prior = await this.idempotent(d, options.idempotencyKey);
      if (prior) return { prior };
      const live = d.row && !d.row.deletedAt ? d.row : null;
      if (options.createOnly && live) throw new DomainError('CONFLICT', `Deployment "${name}" already exists; use PUT /deployments/${name} to change it`);
      this.checkIfMatch(live, options.ifMatch);
      const latest = await d.latestRevision();
      const sameSpec = Boolean(live && latest?.specHash === hash);
      if (live && sameSpec && live.desiredReplicas === spec.replicas) return { unchanged: live, latest };

      const previous = latest ? this.codec.decode(latest.spec) : null;
      const changes = this.codec.diff(live ? previous : null, spec);
      let row = d.row ?? (await d.create({ desiredReplicas: spec.replicas }));
      const created = !live;
      if (!sameSpec) {
        const number = (latest?.number ?? 0) + 1;
        await d.addRevision({ deploymentId: row.id, number, spec: this.codec.encode(spec), specHash: hash, authorTokenId: principal.tokenId, changeCause: dto.changeCause ?? null });
        row = await d.update(row.id, { desiredReplicas: spec.replicas, targetRevision: number, deletedAt: null, stopped: false, ...(d.row ? { version: { increment: 1 } } : {}) });
        await d.supersedePending(row.id, ['rollout', 'rollback', 'scale'], `revision ${number}`);
        const op = await d.enqueue({ deploymentId: row.id, kind: 'rollout', params: { revision: number }, createdBy: principal.tokenId, idempotencyKey: options.idempotencyKey });
        return { row, op, revision: number, changes, created };
      }
      row = await d.update(row.id, { desiredReplicas: spec.replicas, version: { increment: 1 } });
      await d.supersedePending(row.id, ['scale'], `scale to ${spec.replicas}`);
      const op = await d.enqueue({ deploymentId: row.id, kind: 'scale', params: { replicas: spec.replicas }, createdBy: principal.tokenId, idempotencyKey: options.idempotencyKey });
      return { row, op, changes, created: false };
    });

    if ('prior' in outcome && outcome.prior) return this.priorResult(principal, outcome.prior);
    if ('unchanged' in outcome && outcome.unchanged) {
      return { result: 'unchanged', deployment: await this.view(outcome.unchanged, outcome.latest ?? null), changes: [] };
    }
    const { row, op, revision, changes, created } = outcome as { row: DeploymentRow; op: OperationRow; revision?: number; changes: ApplyResultDto['changes']; created: boolean };
    await this.events.publish(row.teamId, created ? 'deployment.created' : 'deployment.updated', { deployment: name, version: row.version, ...(created ? {} : { change: revision ? `revision ${revision}` : `replicas ${row.desiredReplicas}` }) } as never, subjectOf(name));
    if (revision) await this.events.publish(row.teamId, 'deployment.revision.created', { deployment: name, revision, changeCause: dto.changeCause ?? null }, subjectOf(name));
    await this.queued(row, op);
    return {
      result: created ? 'created' : revision ? 'updated' : 'scaled',
      deployment: await this.view(row),
      ...(revision ? { revision } : {}),
      operation: OperationResponseDto.from({ ...op, steps: [] }),
      changes,
    };
  }

  /** run / stop / restart / scale / migrate / rollback / delete: each queues one operation. */
  async act(principal: Principal, name: string, action: Action, options: RequestOptions = {}): Promise<OperationResponseDto> {
    this.checkScope(principal, name);
    await this.admitAction(principal, name, action);
    const outcome = await this.repo.withLock(principal.teamId, name, async (d) => {
      const prior = await this.idempotent(d, options.idempotencyKey);
      if (prior) return { prior };
      const row = d.row && !d.row.deletedAt ? d.row : null;
      if (!row) throw DomainError.notFound('Deployment', name);
      this.checkIfMatch(row, options.ifMatch);
      const enqueue = (kind: OperationKind, params: unknown) => d.enqueue({ deploymentId: row.id, kind, params, createdBy: principal.tokenId, idempotencyKey: options.idempotencyKey });
      let revisionCreated: { number: number; rollbackOf: number } | undefined;
      let op: OperationRow;
      switch (action.kind) {
        case 'scale':
          await d.update(row.id, { desiredReplicas: action.replicas, version: { increment: 1 } });
          await d.supersedePending(row.id, ['scale'], `scale to ${action.replicas}`);
          op = await enqueue('scale', { replicas: action.replicas });
          break;
        case 'stop':
          await d.update(row.id, { stopped: true, version: { increment: 1 } });
          op = await enqueue('stop', {});
          break;
        case 'run':
          await d.update(row.id, { stopped: false, version: { increment: 1 } });
          op = await enqueue('run', {});
          break;
        case 'restart':
          await d.update(row.id, { generation: { increment: 1 }, version: { increment: 1 } });
          op = await enqueue('restart', {});
          break;
        case 'migrate': {
          const number = action.revision ?? row.currentRevision ?? row.targetRevision;
          const rev = number ? await d.revision(number) : null;
          if (!rev) throw DomainError.notFound('Revision', String(number ?? 'current'));
          if (!this.codec.decode(rev.spec).migrate) throw new DomainError('UNPROCESSABLE', `Revision ${rev.number} of "${name}" has no migrate step`, [{ field: 'revision', rule: 'hasMigrateStep', message: `revision ${rev.number} has no migrate step` }]);
          op = await enqueue('migrate', { revision: rev.number });
          break;
        }
        case 'rollback': {
          const latest = await d.latestRevision();
          const from = row.currentRevision ?? row.targetRevision ?? 0;
          const to = action.revision ?? (await this.previousRevision(row.id, from));
          const target = to ? await d.revision(to) : null;
          if (!target) {
            throw new DomainError('UNPROCESSABLE', action.revision ? `Deployment "${name}" has no revision ${action.revision}` : `Deployment "${name}" has no revision before ${from} to roll back to`, [{ field: 'revision', rule: 'exists', message: 'no such revision to roll back to' }]);
          }
          const number = (latest?.number ?? 0) + 1;
          await d.addRevision({ deploymentId: row.id, number, spec: target.spec, specHash: target.specHash, authorTokenId: principal.tokenId, changeCause: `${action.automatic ? 'Automatic rollback' : 'Rollback'} to revision ${target.number}` });
          await d.update(row.id, { targetRevision: number, version: { increment: 1 } });
          await d.supersedePending(row.id, ['rollout', 'rollback'], `rollback to revision ${target.number}`);
          op = await enqueue('rollback', { revision: number, rollbackOf: target.number, automatic: Boolean(action.automatic) });
          revisionCreated = { number, rollbackOf: target.number };
          break;
        }
        case 'delete':
          await d.update(row.id, { version: { increment: 1 } });
          await d.supersedePending(row.id, ['rollout', 'rollback', 'scale', 'run', 'stop', 'restart', 'migrate'], 'delete');
          op = await enqueue('delete', { purge: action.purge });
          break;
      }
      return { row, op, revisionCreated };
    });
    if ('prior' in outcome && outcome.prior) return OperationResponseDto.from(await this.operations.get(principal, outcome.prior.id));
    const { row, op, revisionCreated } = outcome as { row: DeploymentRow; op: OperationRow; revisionCreated?: { number: number; rollbackOf: number } };
    if (revisionCreated) await this.events.publish(row.teamId, 'deployment.revision.created', { deployment: name, revision: revisionCreated.number, rollbackOf: revisionCreated.rollbackOf }, subjectOf(name));
    await this.queued(row, op);
    return OperationResponseDto.from({ ...op, steps: [] });
  }

  async get(principal: Principal, name: string): Promise<DeploymentResponseDto> {
    const row = await this.findVisible(principal, name);
    return this.view(row, null, true);
  }

  async list(principal: Principal, query: { limit?: number; offset?: number; name?: string; status?: boolean }): Promise<DeploymentListDto> {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const [rows, total] = await this.repo.list({ teamId: principal.role === 'owner' ? undefined : principal.teamId, nameContains: query.name, includeDeleted: false, limit, offset });
    const visible = principal.deployments.length ? rows.filter((r) => principal.deployments.includes(r.name)) : rows;
    const statuses = query.status ? await this.status.forMany(visible) : undefined;
    // Every row's revision in one query, not one query per row.
    const revisions = await this.repo.revisionsFor(visible.flatMap((r) => (r.targetRevision ?? r.currentRevision ? [{ deploymentId: r.id, number: (r.targetRevision ?? r.currentRevision)! }] : [])));
    const items = await Promise.all(visible.map((r) => this.view(r, revisions.get(r.id) ?? null, false, statuses?.get(r.id))));
    return { items, total: principal.deployments.length ? items.length : total, limit, offset };
  }

  async revisions(principal: Principal, name: string): Promise<RevisionResponseDto[]> {
    const row = await this.findVisible(principal, name, true);
    return (await this.repo.revisions(row.id)).map((r) => this.revisionView(r));
  }

  async revision(principal: Principal, name: string, number: number): Promise<RevisionResponseDto> {
    const row = await this.findVisible(principal, name, true);
    const rev = await this.repo.revision(row.id, number);
    if (!rev) throw DomainError.notFound('Revision', String(number));
    const prev = number > 1 ? await this.repo.revision(row.id, number - 1) : null;
    return { ...this.revisionView(rev), changes: this.codec.diff(prev ? this.codec.decode(prev.spec) : null, this.codec.decode(rev.spec)) };
  }

  async operationsOf(principal: Principal, name: string, limit: number): Promise<OperationResponseDto[]> {
    const row = await this.findVisible(principal, name, true);
    return (await this.repo.operations(row.id, limit)).map((op) => OperationResponseDto.from(op));
  }

  // ————— helpers —————

  /**
   * The team's container policy over what `spec` would create: its replica container (and its
   * migrate container, when it has one), with `replicas` of them counted against the quotas.
   */
  private async admitSpec(principal: Pick<Principal, 'role'>, teamId: string, name: string, spec: NormalizedSpec, replicas: number, only?: 'migration'): Promise<void> {
    const target = { teamId, deployment: name, revision: 0, generation: 0, spec, replicas };
    if (only === 'migration') {
      await this.policy.admit(teamId, principal, containerConfig(target, 'migration', undefined, name), { kind: 'migration', deployment: name });
      return;
    }
    const configs = [containerConfig(target, 'replica', 0, name), ...(spec.migrate ? [containerConfig(target, 'migration', undefined, name)] : [])];
    await this.policy.admit(teamId, principal, configs, { kind: 'deployment', deployment: name, replicas, engineOptional: true });
  }

  /**
   * Actions that start containers are admitted before they are queued: scale/run/restart and
   * migrate against the revision they would run (as its author: an owner-authored spec was
   * approved by the owner), a rollback as the caller, who authors the new revision. An automatic
   * rollback is left to the rollout's own admission. Unknown deployments fall through to the 404.
   */
  private async admitAction(principal: Principal, name: string, action: Action): Promise<void> {
    if (!['scale', 'run', 'restart', 'migrate', 'rollback'].includes(action.kind)) return;
    if (action.kind === 'rollback' && action.automatic) return;
    const row = await this.repo.find(principal.teamId, name);
    if (!row || row.deletedAt) return;
    const current = row.targetRevision ?? row.currentRevision;
    let number: number | null | undefined = current;
    if (action.kind === 'migrate') number = action.revision ?? row.currentRevision ?? row.targetRevision;
    if (action.kind === 'rollback') number = action.revision ?? (await this.previousRevision(row.id, row.currentRevision ?? row.targetRevision ?? 0));
    const rev = number ? await this.repo.revision(row.id, number) : null;
    if (!rev) return;
    const spec = this.codec.decode(rev.spec);
    const author = action.kind === 'rollback' ? principal : await this.policy.revisionPrincipal(row.teamId, rev.authorTokenId);
    if (action.kind === 'migrate') {
      if (spec.migrate) await this.admitSpec(author, row.teamId, name, spec, 0, 'migration');
      return;
    }
    const replicas = action.kind === 'scale' ? action.replicas : row.stopped && action.kind !== 'run' ? 0 : row.desiredReplicas;
    await this.admitSpec(author, row.teamId, name, spec, replicas);
  }

  private async dryRun(principal: Principal, name: string, spec: NormalizedSpec, hash: string, createOnly?: boolean): Promise<ApplyResultDto> {
    const row = await this.repo.find(principal.teamId, name);
    const live = row && !row.deletedAt ? row : null;
    if (createOnly && live) throw new DomainError('CONFLICT', `Deployment "${name}" already exists`);
    const latest = live ? (await this.repo.revisions(live.id)).at(-1) : undefined;
    const previous = latest ? this.codec.decode(latest.spec) : null;
    const sameSpec = latest?.specHash === hash;
    const plan = !live
      ? `create deployment "${name}" with revision 1 and roll it out to ${spec.replicas} replica(s)`
      : !sameSpec
        ? `create revision ${(latest?.number ?? 0) + 1} and roll it out (${spec.strategy.type}) to ${spec.replicas} replica(s)`
        : live.desiredReplicas !== spec.replicas
          ? `scale from ${live.desiredReplicas} to ${spec.replicas} replica(s); no new revision`
          : 'nothing: the spec matches the current revision';
    return {
      result: 'dry-run',
      deployment: live ? await this.view(live, latest ?? null) : this.draftView(name, spec),
      changes: this.codec.diff(previous, spec),
      plan,
    };
  }

  private async idempotent(d: LockedDeployment, key?: string): Promise<OperationRow | null> {
    return key ? d.findIdempotent(key) : null;
  }

  private async priorResult(principal: Principal, prior: OperationRow): Promise<ApplyResultDto> {
    const row = prior.deploymentId ? await this.repo.findById(prior.deploymentId) : null;
    if (!row) throw new DomainError('CONFLICT', 'Idempotency-Key was already used for another request');
    return { result: 'unchanged', deployment: await this.view(row), operation: OperationResponseDto.from(await this.operations.get(principal, prior.id)), changes: [] };
  }

  private async queued(row: DeploymentRow, op: OperationRow): Promise<void> {
    await this.events.publish(row.teamId, 'operation.queued', { operationId: op.id, kind: op.kind, deployment: row.name }, subjectOf(row.name));
    this.queue.kick(row.id);
  }

  private async previousRevision(deploymentId: string, before: number): Promise<number | undefined> {
    const revs = await this.repo.revisions(deploymentId);
    return revs.filter((r) => r.number < before).at(-1)?.number;
  }

  private checkIfMatch(row: DeploymentRow | null, ifMatch?: number): void {
    if (ifMatch === undefined) return;
    if (!row || row.version !== ifMatch) {
      throw new DomainError('PRECONDITION_FAILED', `If-Match ${ifMatch} does not match the deployment's current version${row ? ` (${row.version})` : ' (it does not exist)'}; re-read it and retry`);
    }
  }

  private checkName(name: string): void {
    if (!DEPLOYMENT_NAME.test(name)) {
      throw new DomainError('VALIDATION_FAILED', `Validation failed: name must be a DNS label (lowercase letters, digits and '-', at most 63 characters)`, [
        { field: 'name', rule: 'dnsLabel', message: 'name must be a DNS label (lowercase letters, digits and -, 1-63 characters, starting and ending with a letter or digit)' },
      ]);
    }
  }

  /** A token narrowed to named deployments can act on those only. */
  private checkScope(principal: Principal, name: string): void {
    authorizeDeployment(principal, name);
  }

  private async findVisible(principal: Principal, name: string, includeDeleted = false): Promise<DeploymentRow> {
    this.checkScope(principal, name);
    const row = await this.repo.find(principal.teamId, name);
    if (!row || (!includeDeleted && row.deletedAt)) throw DomainError.notFound('Deployment', name);
    return row;
  }

  private revisionView(r: RevisionRow): RevisionResponseDto {
    return {
      number: r.number,
      spec: publicSpec(this.codec.decode(r.spec)) as unknown as Record<string, unknown>,
      ...(r.imageDigest ? { imageDigest: r.imageDigest } : {}),
      ...(r.authorTokenId ? { authorTokenId: r.authorTokenId } : {}),
      ...(r.changeCause ? { changeCause: r.changeCause } : {}),
      createdAt: r.createdAt.toISOString(),
    };
  }

  private draftView(name: string, spec: NormalizedSpec): DeploymentResponseDto {
    const now = new Date().toISOString();
    return { id: '', name, version: 0, replicas: spec.replicas, spec: publicSpec(spec) as unknown as Record<string, unknown>, createdAt: now, updatedAt: now };
  }

  async view(row: DeploymentRow, latest?: RevisionRow | null, withStatus = false, status?: DeploymentResponseDto['status']): Promise<DeploymentResponseDto> {
    const number = row.targetRevision ?? row.currentRevision;
    const rev = latest && latest.number === number ? latest : number ? await this.repo.revision(row.id, number) : null;
    const spec = rev ? publicSpec(this.codec.decode(rev.spec)) : null;
    return {
      id: row.id,
      name: row.name,
      version: row.version,
      replicas: row.desiredReplicas,
      ...(row.currentRevision ? { currentRevision: row.currentRevision } : {}),
      ...(row.targetRevision ? { targetRevision: row.targetRevision } : {}),
      spec: (spec ?? {}) as unknown as Record<string, unknown>,
      ...(withStatus ? { status: await this.status.of(row, spec) } : status ? { status } : {}),
      ...(row.deletedAt ? { deletedAt: row.deletedAt.toISOString() } : {}),
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }
}
