import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { AccessContext } from '../access/access-context.js';
import { Access } from '../access/access-context.js';
import { Authorize, IdempotentWrite } from '../access/decorators.js';
import { bundleOf, FHIR_JSON, FHIR_NDJSON, ndjson, preferredFhirMediaType } from '../common/fhir/bundle.js';
import { UuidParam } from '../common/http/params.js';
import { ConsentService } from './consent.service.js';
import { ClientIdParam, ConsentListQuery, CreateConsentDto } from './dto/consent.dto.js';

@ApiTags('consent')
@Controller('v1')
export class ConsentController {
  constructor(private readonly consent: ConsentService) {}

  @Post('clients/:clientId/consents')
  @HttpCode(201)
  @Authorize('create', 'Consent')
  @IdempotentWrite()
  @ApiOperation({
    summary: "Record the client's consent (permit) or objection (deny) for purposes, recipients and categories",
  })
  record(@Access() access: AccessContext, @Param() params: ClientIdParam, @Body() body: CreateConsentDto) {
    return this.consent.record(access, params.clientId, body);
  }

  @Get('clients/:clientId/consents')
  @Authorize('read', 'Consent')
  @ApiOperation({
    summary:
      "The client's consents and objections, newest first; format=fhir: FHIR R4 Consent resources (a Bundle, or NDJSON with Accept: application/fhir+ndjson)",
  })
  @ApiProduces('application/json', FHIR_JSON, FHIR_NDJSON)
  @ApiOkResponse({
    description:
      '{ items, nextCursor }; with format=fhir an R4 Bundle (collection) of Consent resources, or NDJSON of them',
    schema: { type: 'object' },
  })
  async list(
    @Access() access: AccessContext,
    @Param() params: ClientIdParam,
    @Query() query: ConsentListQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    if (query.format !== 'fhir') return this.consent.list(access, params.clientId);
    const resources = await this.consent.listAsFhir(access, params.clientId);
    if (preferredFhirMediaType(accept, FHIR_JSON) === FHIR_NDJSON) {
      reply.header('content-type', `${FHIR_NDJSON}; charset=utf-8`);
      return ndjson(resources);
    }
    reply.header('content-type', `${FHIR_JSON}; charset=utf-8`);
    return JSON.stringify(bundleOf(resources));
  }

  @Post('consents/:id/withdraw')
  @HttpCode(200)
  @Authorize('update', 'Consent')
  @ApiOperation({ summary: 'Withdraw a consent; it stops counting on the very next request' })
  withdraw(@Access() access: AccessContext, @Param() params: UuidParam) {
    return this.consent.withdraw(access, params.id);
  }
}
