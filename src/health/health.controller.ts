import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../access/decorators.js';
import { ConstantAnswer } from '../common/http/constant-answer.js';
import { HealthService, type Readiness } from './health.service.js';

const LIVE = { status: 'ok' } as const;

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /**
   * Probed every few seconds by the orchestrator: answered by Fastify itself (see ConstantAnswer),
   * so this method only declares the route; it answers the same should it ever be called.
   */
  @Get()
  @Public()
  @ConstantAnswer(LIVE)
  @ApiOperation({ summary: 'Liveness: the process is up' })
  @ApiOkResponse({ schema: { example: LIVE } })
  live(): typeof LIVE {
    return LIVE;
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
