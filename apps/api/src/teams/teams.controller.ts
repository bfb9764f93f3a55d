import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Requires } from '../auth/permissions';
import type { Principal } from '../auth/principal';
import { TeamCreateDto, TeamResponseDto, TeamUpdateDto } from './dto/team.dto';
import { TokenCreateDto, TokenCreatedDto, TokenResponseDto } from './dto/token.dto';
import { TeamsService } from './teams.service';

const TEAM_ID = new ParseUUIDPipe();

@ApiTags('teams')
@ApiBearerAuth()
@Controller('teams')
export class TeamsController {
  constructor(@Inject(TeamsService) private readonly teams: TeamsService) {}

  @Post()
  @Requires('owner')
  @ApiOperation({ summary: 'Create a team (owner only); then give it tokens with POST /teams/:id/tokens' })
  @ApiCreatedResponse({ type: TeamResponseDto })
  async create(@Body() dto: TeamCreateDto): Promise<TeamResponseDto> {
    return TeamResponseDto.from(await this.teams.create(dto));
  }

  @Get()
  @Requires('read')
  @ApiOperation({ summary: 'Every team for the owner; the caller’s own team for anyone else' })
  @ApiOkResponse({ type: [TeamResponseDto] })
  async list(@CurrentPrincipal() p: Principal): Promise<TeamResponseDto[]> {
    return (await this.teams.list(p)).map((t) => TeamResponseDto.from(t));
  }

  @Get(':id')
  @Requires('read')
  @ApiOperation({ summary: 'One team (404 for another team unless owner)' })
  @ApiOkResponse({ type: TeamResponseDto })
  async get(@CurrentPrincipal() p: Principal, @Param('id', TEAM_ID) id: string): Promise<TeamResponseDto> {
    return TeamResponseDto.from(await this.teams.get(p, id));
  }

  @Patch(':id')
  @Requires('owner')
  @ApiOperation({ summary: 'Rename a team (owner only)' })
  @ApiOkResponse({ type: TeamResponseDto })
  async rename(@CurrentPrincipal() p: Principal, @Param('id', TEAM_ID) id: string, @Body() dto: TeamUpdateDto): Promise<TeamResponseDto> {
    return TeamResponseDto.from(await this.teams.rename(p, id, dto));
  }

  @Delete(':id')
  @Requires('owner')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a team with its tokens, registries and history (owner only); 409 while it has deployments or an owner token' })
  @ApiNoContentResponse()
  async remove(@CurrentPrincipal() p: Principal, @Param('id', TEAM_ID) id: string): Promise<void> {
    await this.teams.remove(p, id);
  }

  @Post(':id/tokens')
  @Requires('admin')
  @ApiOperation({ summary: 'Mint a token for the team; the secret is in this answer only. At most the caller’s role; `deployments` narrows it' })
  @ApiCreatedResponse({ type: TokenCreatedDto })
  async createToken(@CurrentPrincipal() p: Principal, @Param('id', TEAM_ID) id: string, @Body() dto: TokenCreateDto): Promise<TokenCreatedDto> {
    const { token, secret } = await this.teams.createToken(p, id, dto);
    return { ...TokenResponseDto.from(token), token: secret };
  }

  @Get(':id/tokens')
  @Requires('admin')
  @ApiOperation({ summary: 'The team’s tokens: name, role, prefix, created, last used, expiry, revocation — never the secret' })
  @ApiOkResponse({ type: [TokenResponseDto] })
  async listTokens(@CurrentPrincipal() p: Principal, @Param('id', TEAM_ID) id: string): Promise<TokenResponseDto[]> {
    return (await this.teams.listTokens(p, id)).map((t) => TokenResponseDto.from(t));
  }

  @Delete(':id/tokens/:tokenId')
  @Requires('admin')
  @ApiOperation({ summary: 'Revoke a token at once: its next request fails with 401 and its open /ws sockets are closed (4401)' })
  @ApiOkResponse({ type: TokenResponseDto })
  async revokeToken(@CurrentPrincipal() p: Principal, @Param('id', TEAM_ID) id: string, @Param('tokenId', new ParseUUIDPipe()) tokenId: string): Promise<TokenResponseDto> {
    return TokenResponseDto.from(await this.teams.revokeToken(p, id, tokenId));
  }
}
