import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AccessContext } from '../access/access-context.js';
import { Access } from '../access/access-context.js';
import { Authorize, IdempotentWrite } from '../access/decorators.js';
import { UuidParam } from '../common/http/params.js';
import { CreateInformationRequestDto, ReviewDto } from './dto/information-request.dto.js';
import { InformationRequestsService } from './information-requests.service.js';

@ApiTags('information-requests')
@Controller('v1/information-requests')
export class InformationRequestsController {
  constructor(private readonly requests: InformationRequestsService) {}

  @Post()
  @HttpCode(201)
  @Authorize('create', 'InformationRequest')
  @IdempotentWrite()
  @ApiOperation({
    summary:
      'Ask for case information: permit (with basis and consent), deny (with what is missing) or pending (the coordinator judges necessity)',
  })
  create(@Access() access: AccessContext, @Body() body: CreateInformationRequestDto) {
    return this.requests.create(access, body);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @Authorize('decide', 'InformationRequest')
  @ApiOperation({ summary: 'The case coordinator judges a pending request necessary (X-Purpose: care-coordination)' })
  approve(@Access() access: AccessContext, @Param() params: UuidParam, @Body() body: ReviewDto) {
    return this.requests.review(access, params.id, 'approve', body);
  }

  @Post(':id/deny')
  @HttpCode(200)
  @Authorize('decide', 'InformationRequest')
  @ApiOperation({ summary: 'The case coordinator judges a pending request not necessary' })
  deny(@Access() access: AccessContext, @Param() params: UuidParam, @Body() body: ReviewDto) {
    return this.requests.review(access, params.id, 'deny', body);
  }

  @Get(':id/disclosure')
  @Authorize('read', 'Disclosure', { discloses: ['Case'] })
  @ApiOperation({ summary: 'The permitted data, once, for the stated purpose; logged with its disclosure manifest' })
  disclosure(@Access() access: AccessContext, @Param() params: UuidParam) {
    return this.requests.disclose(access, params.id);
  }
}
