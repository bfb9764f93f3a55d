import { Body, Controller, Get, Inject, Param, ParseUUIDPipe, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Requires } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { TeamPolicyDto, TeamPolicyResponseDto } from './dto/team-policy.dto';
import { PolicyService } from './policy.service';

@ApiTags('teams')
@ApiBearerAuth()
@Controller('teams/:id/policy')
export class PolicyController {
  constructor(@Inject(PolicyService) private readonly policy: PolicyService) {}

  @Get()
  @Requires('admin')
  @ApiOperation({ summary: "A team's container policy in force (defaults filled in): a team admin reads their own team's, the owner any team's" })
  @ApiOkResponse({ type: TeamPolicyResponseDto })
  get(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<TeamPolicyResponseDto> {
    return this.policy.view(principal, id);
  }

  @Put()
  @Requires('owner')
  @ApiOperation({
    summary: "Owner only: replace a team's container policy (what it may run: privileged, host namespaces, capabilities, devices, sysctls, bind-mount prefixes, ports, limits, quotas)",
    description: 'Fields left out take their defaults. Applies to containers created from now on, and to exec into existing ones. See docs/access-control.md, "Container policy".',
  })
  @ApiOkResponse({ type: TeamPolicyResponseDto })
  put(@Param('id', new ParseUUIDPipe()) id: string, @Body() dto: TeamPolicyDto): Promise<TeamPolicyResponseDto> {
    return this.policy.replace(id, dto);
  }
}
