import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AccessContext } from '../access/access-context.js';
import { Access } from '../access/access-context.js';
import { Authorize, IdempotentWrite } from '../access/decorators.js';
import { UuidParam } from '../common/http/params.js';
import { CreateInformationRequestDto, InformationRequestListQuery, ReviewDto } from './dto/information-request.dto.js';
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

  @Get()
  @Authorize('read', 'InformationRequest')
  @ApiOperation({
    summary:
      "Information requests on your team's cases (the coordinator's queue: ?status=pending, X-Purpose: care-coordination) or made by your organisation; ?caseId= for one case; newest first",
  })
  @ApiOkResponse({
    content: {
      'application/json': {
        example: {
          items: [
            {
              id: '0b5e2c1e-8f57-4c55-9a57-0d6c3f1f2a10',
              caseId: '5d1f7c9a-3e2b-4a51-8c0e-6f9b2d7a1c44',
              requesterPartnerId: 'demo-gp',
              requesterUser: 'dr-1',
              purpose: 'care-coordination',
              categories: ['health', 'care-plan'],
              justification: 'Medication review after hospital discharge',
              decision: 'pending',
              pendingCategories: ['health', 'care-plan'],
              permittedCategories: [],
              basis: null,
              rule: 'care-partner-shares-health-under-secrecy',
              reason:
                'Waiting for the coordinator of demo-outreach to judge whether this is necessary for health, care-plan',
              createdAt: '2026-11-30T09:12:00.000Z',
              reviewedAt: null,
              disclosedAt: null,
              role: 'holder',
            },
          ],
          nextCursor: null,
        },
      },
    },
  })
  list(@Access() access: AccessContext, @Query() query: InformationRequestListQuery) {
    return this.requests.list(access, query);
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
