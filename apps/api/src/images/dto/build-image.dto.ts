import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { ToArray, ToBoolean } from './query-transforms';

export class BuildImageQueryDto {
  @ApiPropertyOptional({ type: [String], example: ['team/app:1.2'], description: 'Name(s) for the image, [registry[:port]/]repo[:tag]; repeat for several' })
  @IsOptional()
  @ToArray()
  @IsString({ each: true })
  @MaxLength(512, { each: true })
  tag?: string[];

  @ApiPropertyOptional({ example: '{"VERSION":"1.2"}', description: 'Build-time variables (ARG) as a JSON object of strings. Only the names are recorded' })
  @IsOptional()
  @IsString()
  @MaxLength(65_536)
  buildArgs?: string;

  @ApiPropertyOptional({ example: 'runtime', description: 'Multi-stage target' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, { message: 'target must be a stage name (letters, digits, _ . -)' })
  target?: string;

  @ApiPropertyOptional({ description: 'Do not use the build cache' })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  nocache?: boolean;

  @ApiPropertyOptional({ description: "Always pull base images (with the team's registry credentials)" })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  pull?: boolean;

  @ApiPropertyOptional({ example: 'docker/Dockerfile.prod', description: 'Path of the Dockerfile inside a tar context (default Dockerfile)' })
  @IsOptional()
  @IsString()
  @MaxLength(255)
  @Matches(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[^\0\\]+$/, { message: 'dockerfilePath must be a relative path inside the context' })
  dockerfilePath?: string;
}

/** The JSON form of a build: a Dockerfile and, optionally, the files it COPYs (UTF-8 text). */
export class InlineBuildDto {
  @ApiProperty({ example: 'FROM busybox\nCOPY hello.txt /\nCMD ["cat", "/hello.txt"]\n' })
  @IsString()
  @MaxLength(1_000_000)
  dockerfile: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { 'hello.txt': 'hello\n' }, description: 'Context files by relative path' })
  @IsOptional()
  @IsObject()
  files?: Record<string, string>;
}

export class BuildResultDto {
  @ApiProperty({ format: 'uuid', description: 'The build operation; also the X-Operation-Id header' }) operationId: string;
  @ApiProperty({ example: 'sha256:3f57d9401f8d42f986df300f0c69192fc41da28ccc8d797829467780db3dd741' }) id: string;
  @ApiProperty({ type: [String], example: ['team/app:1.2'] }) tags: string[];
  @ApiProperty({ example: 3, description: 'Dockerfile steps run' }) steps: number;
}
