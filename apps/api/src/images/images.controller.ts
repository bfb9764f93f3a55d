import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth, ApiBody, ApiConsumes, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags, getSchemaPath,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { CurrentPrincipal } from '../auth/auth.decorators';
import { Requires } from '../auth/permissions';
import { paginate } from '../common/pagination';
import type { Principal } from '../auth/principal';
import { buildInputFrom } from './build/build-input';
import { ImageBuildService } from './build/image-build.service';
import { BuildImageQueryDto, BuildResultDto, InlineBuildDto } from './dto/build-image.dto';
import { ImageDetailDto } from './dto/image-detail.dto';
import { ImageSummaryDto, ListImagesQueryDto } from './dto/list-images.dto';
import { ProgressLineDto } from './dto/progress-line.dto';
import { PullImageDto, PullResultDto } from './dto/pull-image.dto';
import { PruneImagesDto, PruneImagesResponseDto } from './dto/prune-images.dto';
import { PushImageDto, PushResultDto } from './dto/push-image.dto';
import { RemoveImageQueryDto, RemoveImageResponseDto } from './dto/remove-image.dto';
import { TagImageDto, TagImageResponseDto } from './dto/tag-image.dto';
import { ImagePushService } from './image-push.service';
import { ImagesService } from './images.service';
import { NDJSON, respondWithProgress } from './progress/ndjson-response';

/** `{ref}` is an image reference ([registry[:port]/]repo[:tag|@digest], slashes and all) or an image id. */
const REF_PARAM = {
  name: 'ref',
  type: String,
  description: 'Image reference as written, slashes included ([registry[:port]/]repo[:tag|@digest]; no tag means latest), or an image id (sha256:… or a 12+ hex prefix)',
  example: '127.0.0.1:5000/team/app:1.2',
};

/** A route whose answer is JSON, or NDJSON progress when asked with `Accept: application/x-ndjson`. */
function progressResponse(result: new () => unknown) {
  return ApiOkResponse({
    description: 'JSON result; with `Accept: application/x-ndjson`, progress lines ending with a `result` or `error` line. Header X-Operation-Id names the operation',
    headers: { 'X-Operation-Id': { description: 'The operation (GET /operations/{id})', schema: { type: 'string', format: 'uuid' } } },
    content: {
      'application/json': { schema: { $ref: getSchemaPath(result) } },
      [NDJSON]: { schema: { $ref: getSchemaPath(ProgressLineDto) } },
    },
  });
}

/** The wildcard `*ref` route parameter arrives as path segments; they are joined back into the reference. */
const joinRef = (ref: string | string[]) => [ref].flat().join('/');

@ApiTags('images')
@ApiBearerAuth()
@ApiExtraModels(ProgressLineDto, PullResultDto, BuildResultDto, PushResultDto, InlineBuildDto)
@Controller('images')
export class ImagesController {
  constructor(
    @Inject(ImagesService) private readonly images: ImagesService,
    @Inject(ImageBuildService) private readonly builds: ImageBuildService,
    @Inject(ImagePushService) private readonly pushes: ImagePushService,
  ) {}

  @Get()
  @Requires('read', { narrowable: true })
  @ApiOperation({ summary: "The team's images (every image for the owner token)" })
  @ApiOkResponse({ type: [ImageSummaryDto] })
  async list(@CurrentPrincipal() principal: Principal, @Query() query: ListImagesQueryDto, @Res({ passthrough: true }) res: Response): Promise<ImageSummaryDto[]> {
    return paginate(await this.images.list(principal, query), query, res);
  }

  @Post('pull')
  @Requires('deploy', { narrowable: true })
  @ApiOperation({ summary: "Pulls an image with the team's credentials for its registry; streams progress as NDJSON when asked" })
  @ApiProduces('application/json', NDJSON)
  @progressResponse(PullResultDto)
  async pull(@CurrentPrincipal() principal: Principal, @Body() dto: PullImageDto, @Req() req: Request, @Res() res: Response): Promise<void> {
    await respondWithProgress(req, res, (sink) => this.images.pull(principal, dto, sink));
  }

  @Post('build')
  @Requires('deploy', { narrowable: true })
  @ApiOperation({ summary: 'Builds an image from a tar context (optionally gzip) or a JSON {dockerfile, files}; streams the steps as NDJSON when asked' })
  @ApiConsumes('application/x-tar', 'application/gzip', 'application/json')
  @ApiBody({
    description: 'A tar build context (application/x-tar, or gzip-compressed as application/gzip), or the JSON form (application/json)',
    schema: { oneOf: [{ type: 'string', format: 'binary' }, { $ref: getSchemaPath(InlineBuildDto) }] },
  })
  @ApiProduces('application/json', NDJSON)
  @progressResponse(BuildResultDto)
  async build(@CurrentPrincipal() principal: Principal, @Query() query: BuildImageQueryDto, @Body() body: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    const input = buildInputFrom(req, body);
    await respondWithProgress(req, res, (sink) => this.builds.build(principal, query, input, sink));
  }

  @Post('prune')
  @Requires('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Removes unused images: the host’s for the owner token, only the team’s own otherwise' })
  @ApiOkResponse({ type: PruneImagesResponseDto })
  prune(@CurrentPrincipal() principal: Principal, @Body() dto: PruneImagesDto): Promise<PruneImagesResponseDto> {
    return this.images.prune(principal, dto);
  }

  @Post('*ref/tag')
  @Requires('deploy', { narrowable: true })
  @ApiOperation({ summary: 'Gives an image another name (docker tag)' })
  @ApiParam(REF_PARAM)
  @ApiCreatedResponse({ type: TagImageResponseDto })
  tag(@CurrentPrincipal() principal: Principal, @Param('ref') ref: string | string[], @Body() dto: TagImageDto): Promise<TagImageResponseDto> {
    return this.images.tag(principal, joinRef(ref), dto);
  }

  @Post('*ref/push')
  @Requires('deploy', { narrowable: true })
  @ApiOperation({ summary: "Pushes an image to the team's registry for its host, with that registry's credentials; streams progress as NDJSON when asked" })
  @ApiParam(REF_PARAM)
  @ApiProduces('application/json', NDJSON)
  @progressResponse(PushResultDto)
  async push(@CurrentPrincipal() principal: Principal, @Param('ref') ref: string | string[], @Body() dto: PushImageDto, @Req() req: Request, @Res() res: Response): Promise<void> {
    await respondWithProgress(req, res, (sink) => this.pushes.push(principal, joinRef(ref), dto, sink));
  }

  @Get('*ref')
  @Requires('read', { narrowable: true })
  @ApiOperation({ summary: 'Inspects an image, with its history (layers, newest first)' })
  @ApiParam(REF_PARAM)
  @ApiOkResponse({ type: ImageDetailDto })
  inspect(@CurrentPrincipal() principal: Principal, @Param('ref') ref: string | string[]): Promise<ImageDetailDto> {
    return this.images.inspect(principal, joinRef(ref));
  }

  @Delete('*ref')
  @Requires('admin')
  @ApiOperation({ summary: 'Removes an image or one of its names (docker rmi); 409 while a container uses it' })
  @ApiParam(REF_PARAM)
  @ApiOkResponse({ type: RemoveImageResponseDto })
  remove(@CurrentPrincipal() principal: Principal, @Param('ref') ref: string | string[], @Query() query: RemoveImageQueryDto): Promise<RemoveImageResponseDto> {
    return this.images.remove(principal, joinRef(ref), query.force ?? false);
  }
}
