import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../../access/access-context.js';
import { Authorize, IdempotentWrite } from '../../access/decorators.js';
import type { AccessContext } from '../../access/access-context.js';
import { UuidParam } from '../../common/http/params.js';
import {
  AgreementPage,
  AgreementQuery,
  AgreementView,
  CreateAgreementDto,
  UpdateAgreementDto,
} from './agreement.dto.js';
import { AgreementsService } from './agreements.service.js';

@ApiTags('agreements')
@Controller('v1/agreements')
export class AgreementsController {
  constructor(private readonly agreements: AgreementsService) {}

  @Post()
  @HttpCode(201)
  @Authorize('create', 'Agreement')
  @IdempotentWrite()
  @ApiOperation({ summary: 'Record a cooperation agreement between partners for a list of purposes' })
  @ApiCreatedResponse({ type: AgreementView })
  create(@Access() access: AccessContext, @Body() body: CreateAgreementDto): Promise<AgreementView> {
    return this.agreements.create(access, body);
  }

  @Get()
  @Authorize('read', 'Agreement')
  @ApiOperation({ summary: 'List agreements, newest first' })
  @ApiOkResponse({ type: AgreementPage })
  list(@Query() query: AgreementQuery): Promise<AgreementPage> {
    return this.agreements.list({ partnerId: query.partner }, query.limit ?? 50, query.cursor);
  }

  @Patch(':id')
  @HttpCode(200)
  @Authorize('update', 'Agreement')
  @IdempotentWrite()
  @ApiOperation({
    summary:
      'Suspend, reactivate or end a cooperation agreement (network operator; logged): exchanges under it stop the day it ends',
  })
  @ApiOkResponse({
    type: AgreementView,
    content: {
      'application/json': {
        example: {
          id: '1b2c3d4e-5f60-4718-9a0b-c1d2e3f4a5b6',
          title: 'Samenwerking aanklampende zorg',
          partnerIds: ['demo-housing', 'demo-outreach'],
          purposes: ['referral'],
          validFrom: '2026-01-01',
          validUntil: '2026-11-30',
          documentReference: null,
          status: 'ended',
          inForce: false,
          createdAt: '2026-01-01T09:00:00.000Z',
        },
      },
    },
  })
  update(
    @Access() access: AccessContext,
    @Param() params: UuidParam,
    @Body() body: UpdateAgreementDto,
  ): Promise<AgreementView> {
    return this.agreements.update(access, params.id, body);
  }

  @Get(':id')
  @Authorize('read', 'Agreement')
  @ApiOperation({ summary: 'One agreement' })
  @ApiOkResponse({ type: AgreementView })
  get(@Param() params: UuidParam): Promise<AgreementView> {
    return this.agreements.get(params.id);
  }
}
