import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AccessContext } from '../access-log/access-log.service.js';
import { Access } from '../auth/access-context.decorator.js';
import { Authorize, IdempotentWrite } from '../auth/decorators.js';
import { UuidParam } from '../common/http/params.js';
import { ConsentService } from './consent.service.js';
import { ClientIdParam, CreateConsentDto } from './dto/consent.dto.js';

@ApiTags('consent')
@Controller('v1')
export class ConsentController {
  constructor(private readonly consent: ConsentService) {}

  @Post('clients/:clientId/consents')
  @HttpCode(201)
  @Authorize('create', 'Consent')
  @IdempotentWrite()
  @ApiOperation({ summary: "Record the client's consent (permit) or objection (deny) for purposes, recipients and categories" })
  record(@Access() access: AccessContext, @Param() params: ClientIdParam, @Body() body: CreateConsentDto) {
    return this.consent.record(access, params.clientId, body);
  }

  @Get('clients/:clientId/consents')
  @Authorize('read', 'Consent')
  @ApiOperation({ summary: "The client's consents and objections, newest first" })
  list(@Access() access: AccessContext, @Param() params: ClientIdParam) {
    return this.consent.list(access, params.clientId);
  }

  @Post('consents/:id/withdraw')
  @HttpCode(200)
  @Authorize('update', 'Consent')
  @ApiOperation({ summary: 'Withdraw a consent; it stops counting on the very next request' })
  withdraw(@Access() access: AccessContext, @Param() params: UuidParam) {
    return this.consent.withdraw(access, params.id);
  }
}
