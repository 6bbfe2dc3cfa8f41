import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../../access/access-context.js';
import { Authorize, IdempotentWrite } from '../../access/decorators.js';
import type { AccessContext } from '../../access/access-context.js';
import { UuidParam } from '../../common/http/params.js';
import { AgreementPage, AgreementQuery, AgreementView, CreateAgreementDto } from './agreement.dto.js';
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

  @Get(':id')
  @Authorize('read', 'Agreement')
  @ApiOperation({ summary: 'One agreement' })
  @ApiOkResponse({ type: AgreementView })
  get(@Param() params: UuidParam): Promise<AgreementView> {
    return this.agreements.get(params.id);
  }
}
