import { Controller, Get, Inject } from '@nestjs/common';
import { Requires } from '../auth/permissions';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SystemResponseDto } from './dto/system-response.dto';
import { SystemService } from './system.service';

@ApiTags('system')
@ApiBearerAuth()
@Controller('system')
export class SystemController {
  constructor(@Inject(SystemService) private readonly system: SystemService) {}

  @Get()
  @Requires('read', { narrowable: true })
  @ApiOperation({ summary: "The Docker Engine's version and counts, and Berth's own version and database mode" })
  @ApiOkResponse({ type: SystemResponseDto })
  describe(): Promise<SystemResponseDto> {
    return this.system.describe();
  }
}
