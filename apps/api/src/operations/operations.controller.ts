import { Controller, Get, HttpCode, HttpStatus, Inject, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { DomainError } from '../common/domain-error';
import { WaitQueryDto } from './dto/wait-query.dto';
import { ApiAcceptedResponse, ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Requires } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { OperationResponseDto } from './dto/operation-response.dto';
import { OperationsService } from './operations.service';

@ApiTags('operations')
@ApiBearerAuth()
@Controller('operations')
export class OperationsController {
  constructor(@Inject(OperationsService) private readonly operations: OperationsService) {}

  @Get(':id')
  @Requires('read', { narrowable: true })
  @ApiOperation({
    summary: 'An operation with its status and ordered step log',
    description:
      'With `wait=<seconds>` (max 600) the request long-polls until the operation ends: 200 when it succeeded, 202 when it is still running at the deadline, and 409 OPERATION_FAILED (with the reason) when it failed or was cancelled — so `curl --fail` in a pipeline fails with the rollout.',
  })
  @ApiOkResponse({ type: OperationResponseDto })
  @ApiAcceptedResponse({ type: OperationResponseDto, description: 'wait given and the operation is still running' })
  async get(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() query: WaitQueryDto, @Res({ passthrough: true }) res: Response): Promise<OperationResponseDto> {
    if (query.wait === undefined) return OperationResponseDto.from(await this.operations.get(principal, id));
    const op = await this.operations.waitFor(principal, id, query.wait * 1000);
    if (op.status === 'failed' || op.status === 'cancelled') {
      throw new DomainError('OPERATION_FAILED', `Operation ${op.id} (${op.kind}) ${op.status}${op.error ? `: ${op.error}` : ''}`, [{ field: 'status', rule: op.status, message: op.error ?? op.status }]);
    }
    if (op.status !== 'succeeded') res.status(HttpStatus.ACCEPTED);
    return OperationResponseDto.from(op);
  }

  @Post(':id/cancel')
  @Requires('deploy', { narrowable: true })
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel: a queued operation at once; a running one stops at its next step. 409 when already finished.' })
  @ApiOkResponse({ type: OperationResponseDto })
  async cancel(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<OperationResponseDto> {
    return OperationResponseDto.from(await this.operations.cancel(principal, id));
  }
}
