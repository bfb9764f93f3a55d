import { Body, Controller, Delete, Get, Headers, HttpCode, HttpStatus, Inject, Param, ParseIntPipe, Post, Put, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiBody, ApiConsumes, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Requires } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { parseIdempotencyKey, parseIfMatch } from '../common/request-headers';
import { OperationResponseDto } from '../operations/dto/operation-response.dto';
import { DeploymentsService } from './deployments.service';
import { ApplyQueryDto, DeleteQueryDto, ListDeploymentsQueryDto, ListOperationsQueryDto, MigrateDto, RollbackDto, ScaleDto } from './dto/deployment-actions.dto';
import { ApplyResultDto, DeploymentListDto, DeploymentResponseDto, RevisionResponseDto } from './dto/deployment-response.dto';
import { DeploymentCreateDto, DeploymentSpecDto } from './dto/deployment-spec.dto';

const IF_MATCH = { name: 'If-Match', required: false, description: 'The deployment version you last read (ETag); a stale one answers 412' };
const IDEMPOTENCY_KEY = { name: 'Idempotency-Key', required: false, description: 'Retrying with the same key returns the first operation instead of starting another' };

/** Sets 202 + Location for a queued operation. */
function accepted(res: Response, op: OperationResponseDto): OperationResponseDto {
  res.status(HttpStatus.ACCEPTED).location(`/operations/${op.id}`);
  return op;
}

@ApiTags('deployments')
@ApiBearerAuth()
@Controller('deployments')
export class DeploymentsController {
  constructor(@Inject(DeploymentsService) private readonly deployments: DeploymentsService) {}

  @Get()
  @Requires('read', { narrowable: true })
  @ApiOperation({ summary: 'List deployments (paginated; `status=true` adds live replica status)' })
  @ApiOkResponse({ type: DeploymentListDto })
  list(@CurrentPrincipal() p: Principal, @Query() query: ListDeploymentsQueryDto): Promise<DeploymentListDto> {
    return this.deployments.list(p, query);
  }

  @Post()
  @Requires('deploy', { narrowable: true })
  @ApiOperation({ summary: 'Create a deployment (409 if it exists); answers 202 with the rollout operation' })
  @ApiConsumes('application/json', 'application/yaml')
  @ApiBody({ type: DeploymentCreateDto })
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiAcceptedResponse({ type: ApplyResultDto })
  async create(@CurrentPrincipal() p: Principal, @Body() body: DeploymentCreateDto, @Headers('idempotency-key') key: string | undefined, @Res({ passthrough: true }) res: Response): Promise<ApplyResultDto> {
    const { name, ...spec } = body;
    return this.respond(res, await this.deployments.apply(p, name, spec, { createOnly: true, idempotencyKey: parseIdempotencyKey(key) }));
  }

  @Put(':name')
  @Requires('deploy', { narrowable: true })
  @ApiOperation({ summary: 'Declarative apply: same spec → 200 unchanged; changed spec → new revision and a rollout (202); `dryRun=true` shows the diff and plan' })
  @ApiConsumes('application/json', 'application/yaml')
  @ApiHeader(IF_MATCH)
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiOkResponse({ type: ApplyResultDto, description: 'Unchanged, or a dry run' })
  @ApiAcceptedResponse({ type: ApplyResultDto, description: 'A rollout or scale operation was queued (Location: /operations/:id)' })
  async apply(
    @CurrentPrincipal() p: Principal,
    @Param('name') name: string,
    @Body() spec: DeploymentSpecDto,
    @Query() query: ApplyQueryDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ApplyResultDto> {
    return this.respond(res, await this.deployments.apply(p, name, spec, { dryRun: query.dryRun, ifMatch: parseIfMatch(ifMatch), idempotencyKey: parseIdempotencyKey(key) }));
  }

  @Get(':name')
  @Requires('read', { narrowable: true })
  @ApiOperation({ summary: 'A deployment: spec, revisions in play, and live status (replicas, conditions); ETag = version' })
  @ApiOkResponse({ type: DeploymentResponseDto })
  async get(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Res({ passthrough: true }) res: Response): Promise<DeploymentResponseDto> {
    const dep = await this.deployments.get(p, name);
    res.setHeader('ETag', `"${dep.version}"`);
    return dep;
  }

  @Delete(':name')
  @Requires('admin', { narrowable: true })
  @ApiOperation({ summary: 'Remove its containers; history stays unless `purge=true`' })
  @ApiHeader(IF_MATCH)
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiAcceptedResponse({ type: OperationResponseDto })
  async remove(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Query() q: DeleteQueryDto, @Headers('if-match') ifMatch: string | undefined, @Headers('idempotency-key') key: string | undefined, @Res({ passthrough: true }) res: Response) {
    return accepted(res, await this.deployments.act(p, name, { kind: 'delete', purge: Boolean(q.purge) }, { ifMatch: parseIfMatch(ifMatch), idempotencyKey: parseIdempotencyKey(key) }));
  }

  @Get(':name/revisions')
  @Requires('read', { narrowable: true })
  @ApiOperation({ summary: 'All revisions, oldest first' })
  @ApiOkResponse({ type: [RevisionResponseDto] })
  revisions(@CurrentPrincipal() p: Principal, @Param('name') name: string): Promise<RevisionResponseDto[]> {
    return this.deployments.revisions(p, name);
  }

  @Get(':name/revisions/:number')
  @Requires('read', { narrowable: true })
  @ApiOperation({ summary: 'One revision with its spec and the diff to the previous one' })
  @ApiOkResponse({ type: RevisionResponseDto })
  revision(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Param('number', ParseIntPipe) n: number): Promise<RevisionResponseDto> {
    return this.deployments.revision(p, name, n);
  }

  @Get(':name/operations')
  @Requires('read', { narrowable: true })
  @ApiOperation({ summary: 'Operations of this deployment, newest first' })
  @ApiOkResponse({ type: [OperationResponseDto] })
  operations(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Query() query: ListOperationsQueryDto): Promise<OperationResponseDto[]> {
    return this.deployments.operationsOf(p, name, query.limit ?? 100);
  }

  @Post(':name/scale')
  @Requires('deploy', { narrowable: true })
  @HttpCode(202)
  @ApiOperation({ summary: 'Change the replica count (no new revision)' })
  @ApiHeader(IF_MATCH)
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiAcceptedResponse({ type: OperationResponseDto })
  async scale(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Body() body: ScaleDto, @Headers('if-match') ifMatch: string | undefined, @Headers('idempotency-key') key: string | undefined, @Res({ passthrough: true }) res: Response) {
    return accepted(res, await this.deployments.act(p, name, { kind: 'scale', replicas: body.replicas }, { ifMatch: parseIfMatch(ifMatch), idempotencyKey: parseIdempotencyKey(key) }));
  }

  @Post(':name/run')
  @Requires('deploy', { narrowable: true })
  @HttpCode(202)
  @ApiOperation({ summary: 'Bring it up at the desired replica count (after stop)' })
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiAcceptedResponse({ type: OperationResponseDto })
  async run(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Headers('if-match') ifMatch: string | undefined, @Headers('idempotency-key') key: string | undefined, @Res({ passthrough: true }) res: Response) {
    return accepted(res, await this.deployments.act(p, name, { kind: 'run' }, { ifMatch: parseIfMatch(ifMatch), idempotencyKey: parseIdempotencyKey(key) }));
  }

  @Post(':name/stop')
  @Requires('deploy', { narrowable: true })
  @HttpCode(202)
  @ApiOperation({ summary: 'Scale to zero, keeping the definition and the desired count' })
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiAcceptedResponse({ type: OperationResponseDto })
  async stop(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Headers('if-match') ifMatch: string | undefined, @Headers('idempotency-key') key: string | undefined, @Res({ passthrough: true }) res: Response) {
    return accepted(res, await this.deployments.act(p, name, { kind: 'stop' }, { ifMatch: parseIfMatch(ifMatch), idempotencyKey: parseIdempotencyKey(key) }));
  }

  @Post(':name/restart')
  @Requires('deploy', { narrowable: true })
  @HttpCode(202)
  @ApiOperation({ summary: 'Rolling restart of the same revision' })
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiAcceptedResponse({ type: OperationResponseDto })
  async restart(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Headers('if-match') ifMatch: string | undefined, @Headers('idempotency-key') key: string | undefined, @Res({ passthrough: true }) res: Response) {
    return accepted(res, await this.deployments.act(p, name, { kind: 'restart' }, { ifMatch: parseIfMatch(ifMatch), idempotencyKey: parseIdempotencyKey(key) }));
  }

  @Post(':name/migrate')
  @Requires('deploy', { narrowable: true })
  @HttpCode(202)
  @ApiOperation({ summary: 'Run the migrate step of the current (or a given) revision on its own' })
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiAcceptedResponse({ type: OperationResponseDto })
  async migrate(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Body() body: MigrateDto, @Headers('idempotency-key') key: string | undefined, @Res({ passthrough: true }) res: Response) {
    return accepted(res, await this.deployments.act(p, name, { kind: 'migrate', revision: body.revision }, { idempotencyKey: parseIdempotencyKey(key) }));
  }

  @Post(':name/rollback')
  @Requires('deploy', { narrowable: true })
  @HttpCode(202)
  @ApiOperation({ summary: "Roll back: writes the target revision's spec as a new revision (default: the previous one) and rolls it out" })
  @ApiHeader(IF_MATCH)
  @ApiHeader(IDEMPOTENCY_KEY)
  @ApiAcceptedResponse({ type: OperationResponseDto })
  async rollback(@CurrentPrincipal() p: Principal, @Param('name') name: string, @Body() body: RollbackDto, @Headers('if-match') ifMatch: string | undefined, @Headers('idempotency-key') key: string | undefined, @Res({ passthrough: true }) res: Response) {
    return accepted(res, await this.deployments.act(p, name, { kind: 'rollback', revision: body.revision }, { ifMatch: parseIfMatch(ifMatch), idempotencyKey: parseIdempotencyKey(key) }));
  }

  private respond(res: Response, result: ApplyResultDto): ApplyResultDto {
    if (result.operation && result.result !== 'unchanged') res.status(HttpStatus.ACCEPTED).location(`/operations/${result.operation.id}`);
    else res.status(HttpStatus.OK);
    res.setHeader('ETag', `"${result.deployment.version}"`);
    return result;
  }
}
