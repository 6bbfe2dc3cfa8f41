import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AccessContext } from '../access/access-context.js';
import { Access } from '../access/access-context.js';
import { Authorize } from '../access/decorators.js';
import { RetentionService } from './retention.service.js';

@ApiTags('clients')
@Controller('v1/retention')
export class RetentionController {
  constructor(private readonly retention: RetentionService) {}

  @Post('run')
  @HttpCode(200)
  @Authorize('delete', 'ClientData')
  @ApiOperation({
    summary:
      "Run the client- and case-data retention job now (network operator's gateway-admin, X-Purpose: administration; it also runs on a timer in one replica): erases what is past policies/purposes.yaml retention; logged",
  })
  @ApiOkResponse({
    content: { 'application/json': { example: { ran: true, at: '2026-11-30T03:00:00.000Z', erased: 2 } } },
  })
  run(@Access() access: AccessContext) {
    return this.retention.run(access);
  }
}
