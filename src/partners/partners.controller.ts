import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Access } from '../access/access-context.js';
import { Authorize, IdempotentWrite } from '../access/decorators.js';
import type { AccessContext } from '../access/access-context.js';
import { PageQuery } from '../common/http/pagination.js';
import { SlugParam } from '../common/http/params.js';
import { CreatePartnerDto, PartnerPage, PartnerView, UpdatePartnerDto } from './dto/partner.dto.js';
import { PartnersService } from './partners.service.js';

@ApiTags('partners')
@Controller('v1/partners')
export class PartnersController {
  constructor(private readonly partners: PartnersService) {}

  @Post()
  @HttpCode(201)
  @Authorize('create', 'Partner')
  @IdempotentWrite()
  @ApiOperation({ summary: 'Register a partner organisation and its public signing keys' })
  @ApiCreatedResponse({ type: PartnerView })
  register(@Access() access: AccessContext, @Body() body: CreatePartnerDto): Promise<PartnerView> {
    return this.partners.register(access, body);
  }

  @Get()
  @Authorize('read', 'Partner')
  @ApiOperation({ summary: 'List registered partners' })
  @ApiOkResponse({ type: PartnerPage })
  list(@Query() query: PageQuery): Promise<PartnerPage> {
    return this.partners.list(query.limit ?? 50, query.cursor);
  }

  @Get(':id')
  @Authorize('read', 'Partner')
  @ApiOperation({ summary: 'One partner' })
  @ApiOkResponse({ type: PartnerView })
  get(@Param() params: SlugParam): Promise<PartnerView> {
    return this.partners.get(params.id);
  }

  @Patch(':id')
  @Authorize('update', 'Partner')
  @IdempotentWrite()
  @ApiOperation({ summary: 'Suspend or reactivate a partner, rename it, or rotate its keys' })
  @ApiOkResponse({ type: PartnerView })
  update(
    @Access() access: AccessContext,
    @Param() params: SlugParam,
    @Body() body: UpdatePartnerDto,
  ): Promise<PartnerView> {
    return this.partners.update(access, params.id, body);
  }
}
