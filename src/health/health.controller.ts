import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../access/decorators.js';
import { HealthService, type Readiness } from './health.service.js';

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @ApiOperation({ summary: 'Readiness: database reachable and migrations applied' })
  @ApiOkResponse({ schema: { example: { status: 'ready', checks: { database: 'up', migrations: 'applied' } } } })
  @ApiResponse({ status: 503, description: 'Not ready; the body lists the failing checks' })
  ready(): Promise<Readiness> {
    return this.health.readiness();
  }
}
