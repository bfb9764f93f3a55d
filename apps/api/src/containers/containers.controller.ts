import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth, ApiCreatedResponse, ApiExtraModels, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponseOptions, ApiTags, getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Requires } from '../auth/permissions';
import { paginate } from '../common/pagination';
import type { Principal } from '../auth/principal';
import { ContainerExecService } from './container-exec.service';
import { ContainerLogsService } from './container-logs.service';
import { ContainerRefPipe } from './container-ref.pipe';
import { ContainerRunService } from './container-run.service';
import { ContainersService } from './containers.service';
import { ContainerAdoptDto, ContainerExecDto, ContainerExecResultDto } from './dto/container-exec.dto';
import { ContainerLogsQueryDto } from './dto/container-logs-query.dto';
import { ContainerGetQueryDto, ContainerListQueryDto, ContainerRunQueryDto, KillQueryDto, RemoveQueryDto, StopQueryDto } from './dto/container-queries.dto';
import { ContainerResponseDto } from './dto/container-response.dto';
import { ContainerRunDto } from './dto/container-run.dto';
import { ContainerRunResultDto } from './dto/container-run-result.dto';
import { ContainerStatsDto, ContainerTopDto } from './dto/container-stats.dto';
import { ContainerSummaryDto } from './dto/container-summary.dto';
import { ContainerLogsResponseDto } from './dto/log-entry.dto';
import { negotiateLogFormat, writeLogStream } from './log-writer';

const ID = { name: 'id', description: 'Container id, short id or name (another team’s container is reported as not found)' };
const STATE: ApiResponseOptions = { type: ContainerResponseDto, description: 'The container after the action' };

@ApiTags('containers')
@ApiBearerAuth()
@Controller('containers')
export class ContainersController {
  constructor(
    @Inject(ContainersService) private readonly containers: ContainersService,
    @Inject(ContainerRunService) private readonly runner: ContainerRunService,
    @Inject(ContainerLogsService) private readonly logs: ContainerLogsService,
    @Inject(ContainerExecService) private readonly execs: ContainerExecService,
  ) {}

  @Get()
  @Requires('read')
  @ApiOperation({ summary: "The team's containers (docker ps): running ones unless all=true; owner tokens see the whole host" })
  @ApiOkResponse({ type: [ContainerSummaryDto] })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ContainerListQueryDto, @Res({ passthrough: true }) res: Response): Promise<ContainerSummaryDto[]> {
    return paginate(await this.containers.list(principal, query), query, res);
  }

  @Post()
  @Requires('deploy')
  @ApiOperation({
    summary: 'Run a container (docker run): resolve the image, pull if missing (or pull: always), create, start; ?wait=true waits for the exit',
    description:
      'Runs as a container_run operation whose id is in X-Operation-Id and the body; each step is recorded. Nothing half-created is left behind when a step before start fails. A client that leaves during ?wait=true does not stop the run: the operation still records the exit code.',
  })
  @ApiCreatedResponse({ type: ContainerRunResultDto, headers: { 'X-Operation-Id': { description: 'The container_run operation', schema: { type: 'string' } } } })
  run(
    @CurrentPrincipal() principal: Principal,
    @Body() body: ContainerRunDto,
    @Query() query: ContainerRunQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ContainerRunResultDto> {
    return this.runner.run(principal, body, query, { onOperation: (id) => res.setHeader('X-Operation-Id', id) });
  }

  @Get(':id')
  @Requires('read')
  @ApiOperation({ summary: "Inspect a container: what a user needs, plus the engine's document as raw" })
  @ApiParam(ID)
  @ApiOkResponse({ type: ContainerResponseDto })
  get(@CurrentPrincipal() principal: Principal, @Param('id', ContainerRefPipe) id: string, @Query() query: ContainerGetQueryDto): Promise<ContainerResponseDto> {
    return this.containers.get(principal, id, query.raw ?? true);
  }

  @Delete(':id')
  @Requires('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a container (409 while running unless force=true)' })
  @ApiParam(ID)
  @ApiNoContentResponse({ description: 'Removed' })
  remove(@CurrentPrincipal() principal: Principal, @Param('id', ContainerRefPipe) id: string, @Query() query: RemoveQueryDto): Promise<void> {
    return this.containers.remove(principal, id, query);
  }

  @Post(':id/start')
  @Requires('deploy')
  @HttpCode(200)
  @ApiOperation({ summary: 'Start a container (a no-op when it is already running)' })
  @ApiParam(ID)
  @ApiOkResponse(STATE)
  start(@CurrentPrincipal() principal: Principal, @Param('id', ContainerRefPipe) id: string): Promise<ContainerResponseDto> {
    return this.containers.start(principal, id);
  }

  @Post(':id/stop')
  @Requires('deploy')
  @HttpCode(200)
  @ApiOperation({ summary: 'Stop a container: the stop signal, then SIGKILL after timeout seconds (a no-op when stopped)' })
  @ApiParam(ID)
  @ApiOkResponse(STATE)
  stop(@CurrentPrincipal() principal: Principal, @Param('id', ContainerRefPipe) id: string, @Query() query: StopQueryDto): Promise<ContainerResponseDto> {
    return this.containers.stop(principal, id, query);
  }

  @Post(':id/restart')
  @Requires('deploy')
  @HttpCode(200)
  @ApiOperation({ summary: 'Restart a container (stop with timeout, then start)' })
  @ApiParam(ID)
  @ApiOkResponse(STATE)
  restart(@CurrentPrincipal() principal: Principal, @Param('id', ContainerRefPipe) id: string, @Query() query: StopQueryDto): Promise<ContainerResponseDto> {
    return this.containers.restart(principal, id, query);
  }

  @Post(':id/pause')
  @Requires('deploy')
  @HttpCode(200)
  @ApiOperation({ summary: 'Freeze every process of a running container (409 when not running or already paused)' })
  @ApiParam(ID)
  @ApiOkResponse(STATE)
  pause(@CurrentPrincipal() principal: Principal, @Param('id', ContainerRefPipe) id: string): Promise<ContainerResponseDto> {
    return this.containers.pause(principal, id);
  }

  @Post(':id/unpause')
  @Requires('deploy')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a paused container (409 when not paused)' })
  @ApiParam(ID)
  @ApiOkResponse(STATE)
  unpause(@CurrentPrincipal() principal: Principal, @Param('id', ContainerRefPipe) id: string): Promise<ContainerResponseDto> {
    return this.containers.unpause(principal, id);
  }

  @Post(':id/kill')
  @Requires('deploy')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a signal to the main process (default SIGKILL; 409 when not running)' })
  @ApiParam(ID)
  @ApiOkResponse(STATE)
  kill(@CurrentPrincipal() principal: Principal, @Param('id', ContainerRefPipe) id: string, @Query() query: KillQueryDto): Promise<ContainerResponseDto> {
    return this.containers.kill(principal, id, query);
  }

  @Get(':id/logs')
  @Requires('read')
  @ApiOperation({
    summary: 'Container logs: tail, since, until, timestamps, stdout/stderr; follow=true streams until the container stops or the client leaves',
    description:
      'Without follow: JSON lines ({stream, timestamp?, line}), or text/plain with Accept: text/plain. With follow=true: text/event-stream (event = stdout|stderr, id = timestamp) when asked for, application/x-ndjson, or text/plain chunked.',
  })
  @ApiParam(ID)
  @ApiExtraModels(ContainerLogsResponseDto)
  @ApiOkResponse({
    description: 'Log lines in the negotiated format',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ContainerLogsResponseDto) } },
      'text/plain': { schema: { type: 'string', description: 'One line per log line, timestamp first with timestamps=true' } },
      'text/event-stream': { schema: { type: 'string', description: 'event: stdout|stderr, id: timestamp, data: line; a final event: end when the container stops' } },
      'application/x-ndjson': { schema: { type: 'string', description: 'One LogEntryDto JSON object per line' } },
    },
  })
  async getLogs(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ContainerRefPipe) id: string,
    @Query() query: ContainerLogsQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const format = negotiateLogFormat(accept, query.follow ?? false);
    if (format === 'json') {
      res.json(await this.logs.read(principal, id, query));
      return;
    }
    await writeLogStream(res, await this.logs.open(principal, id, query), format);
  }

  @Get(':id/stats')
  @Requires('read')
  @ApiOperation({ summary: 'One resource sample: CPU % from two engine readings, memory without page cache, network and block I/O' })
  @ApiParam(ID)
  @ApiOkResponse({ type: ContainerStatsDto })
  stats(@CurrentPrincipal() principal: Principal, @Param('id', ContainerRefPipe) id: string): Promise<ContainerStatsDto> {
    return this.containers.stats(principal, id);
  }

  @Get(':id/top')
  @Requires('read')
  @ApiOperation({ summary: 'Processes running in the container (409 when not running)' })
  @ApiParam(ID)
  @ApiOkResponse({ type: ContainerTopDto })
  top(@CurrentPrincipal() principal: Principal, @Param('id', ContainerRefPipe) id: string): Promise<ContainerTopDto> {
    return this.containers.top(principal, id);
  }

  @Post(':id/exec')
  @Requires('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Run a command in a running container to completion: exit code, stdout and stderr (1 MiB each)' })
  @ApiParam(ID)
  @ApiOkResponse({ type: ContainerExecResultDto })
  async exec(
    @CurrentPrincipal() principal: Principal,
    @Param('id', ContainerRefPipe) id: string,
    @Body() body: ContainerExecDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ContainerExecResultDto> {
    const abort = new AbortController();
    const onClose = () => !res.writableFinished && abort.abort();
    res.once('close', onClose);
    try {
      return await this.execs.exec(principal, id, body, abort.signal);
    } finally {
      res.off('close', onClose);
    }
  }

  @Post(':id/adopt')
  @Requires('owner')
  @HttpCode(200)
  @ApiOperation({ summary: 'Owner only: assign a container Berth did not create to a team, which then sees and manages it' })
  @ApiParam(ID)
  @ApiOkResponse({ type: ContainerResponseDto })
  adopt(@CurrentPrincipal() principal: Principal, @Param('id', ContainerRefPipe) id: string, @Body() body: ContainerAdoptDto): Promise<ContainerResponseDto> {
    return this.containers.adopt(principal, id, body.teamId);
  }
}
