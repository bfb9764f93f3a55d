import { Body, Controller, Delete, Get, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Requires } from '../auth/permissions';
import { PageQueryDto, paginate } from '../common/pagination';
import type { Principal } from '../auth/principal';
import { CreateRegistryDto } from './dto/create-registry.dto';
import { RegistryResponseDto, RegistryVerifyResponseDto } from './dto/registry-response.dto';
import { UpdateRegistryDto } from './dto/update-registry.dto';
import { RegistriesService } from './registries.service';

@ApiTags('registries')
@ApiBearerAuth()
@Controller('registries')
export class RegistriesController {
  constructor(@Inject(RegistriesService) private readonly registries: RegistriesService) {}

  @Post()
  @Requires('admin')
  @ApiOperation({ summary: "Adds a registry to the caller's team; the password is stored encrypted and never returned" })
  @ApiCreatedResponse({ type: RegistryResponseDto })
  async create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateRegistryDto): Promise<RegistryResponseDto> {
    return RegistryResponseDto.from(await this.registries.create(principal, dto));
  }

  @Get()
  @Requires('read')
  @ApiOperation({ summary: "The team's registries (every team's for the owner token)" })
  @ApiOkResponse({ type: [RegistryResponseDto] })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: PageQueryDto, @Res({ passthrough: true }) res: Response): Promise<RegistryResponseDto[]> {
    return paginate(await this.registries.list(principal), query, res).map((r) => RegistryResponseDto.from(r));
  }

  @Get(':id')
  @Requires('read')
  @ApiOperation({ summary: 'One registry (404 for another team’s)' })
  @ApiOkResponse({ type: RegistryResponseDto })
  async get(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<RegistryResponseDto> {
    return RegistryResponseDto.from(await this.registries.get(principal, id));
  }

  @Patch(':id')
  @Requires('admin')
  @ApiOperation({ summary: 'Changes name, address or credentials; a new address needs the password again' })
  @ApiOkResponse({ type: RegistryResponseDto })
  async update(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Body() dto: UpdateRegistryDto): Promise<RegistryResponseDto> {
    return RegistryResponseDto.from(await this.registries.update(principal, id, dto));
  }

  @Delete(':id')
  @Requires('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Removes a registry and its stored credentials' })
  @ApiNoContentResponse()
  async remove(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<void> {
    await this.registries.remove(principal, id);
  }

  @Post(':id/verify')
  @Requires('admin')
  @HttpCode(200)
  @ApiOperation({ summary: "Logs in to the registry through the engine with the stored credentials and reports success or the registry's error" })
  @ApiOkResponse({ type: RegistryVerifyResponseDto })
  verify(@CurrentPrincipal() principal: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<RegistryVerifyResponseDto> {
    return this.registries.verify(principal, id);
  }
}
