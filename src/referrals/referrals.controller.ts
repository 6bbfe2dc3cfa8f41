import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AccessContext } from '../access/access-context.js';
import { Access } from '../access/access-context.js';
import { Authenticated, Authorize, IdempotentWrite } from '../access/decorators.js';
import { UuidParam } from '../common/http/params.js';
import { CreateReferralDto, ReferralDecisionDto, ReferralListQuery } from './dto/referral.dto.js';
import { ReferralsService } from './referrals.service.js';

@ApiTags('referrals')
@Controller('v1/referrals')
export class ReferralsController {
  constructor(private readonly referrals: ReferralsService) {}

  @Post()
  @HttpCode(201)
  @Authorize('create', 'Referral')
  @IdempotentWrite()
  @ApiOperation({ summary: 'Refer a tenant to an outreach team or joint referral point (X-Purpose: referral)' })
  create(@Access() access: AccessContext, @Body() body: CreateReferralDto) {
    return this.referrals.create(access, body);
  }

  @Get()
  @Authorize('read', 'Referral')
  @ApiOperation({
    summary:
      'Referrals your organisation made or received, newest first (status only), filtered by ?status=, ?from=, ?to= (referred at) and ?reference= (your externalReference)',
  })
  @ApiOkResponse({
    content: {
      'application/json': {
        example: {
          items: [
            {
              id: '3f1c2b9e-5a7d-4c1e-9b2a-8d6f0e4a7c31',
              status: 'redirected',
              referredAt: '2026-11-20T10:00:00.000Z',
              decidedAt: '2026-11-21T08:30:00.000Z',
              contactEstablished: false,
              closedAt: null,
              externalReference: 'WH-2026-0412',
              reasonCode: 'outside-area',
              role: 'referrer',
              targetPartnerId: 'demo-outreach',
            },
          ],
          nextCursor: null,
        },
      },
    },
  })
  list(@Access() access: AccessContext, @Query() query: ReferralListQuery) {
    return this.referrals.list(access, query);
  }

  @Get('reasons')
  @Authenticated()
  @ApiOperation({
    summary:
      'The reason codes a receiving team gives when it redirects or declines (policies/referral-reasons.yaml), with NL/FR/EN labels; vocabulary, no client data',
  })
  @ApiOkResponse({
    content: {
      'application/json': {
        example: {
          items: [
            {
              id: 'outside-area',
              decisions: ['redirect', 'decline'],
              label: { nl: 'buiten ons werkgebied', fr: "en dehors de notre zone d'action", en: 'outside our area' },
            },
          ],
        },
      },
    },
  })
  reasons() {
    return this.referrals.reasons();
  }

  @Get(':id')
  @Authorize('read', 'Referral')
  @ApiOperation({
    summary:
      'One referral: the referrer sees status, dates, decision and contact established; the receiving team sees all; withheld groups are named',
  })
  get(@Access() access: AccessContext, @Param() params: UuidParam) {
    return this.referrals.get(access, params.id);
  }

  @Post(':id/decision')
  @HttpCode(200)
  @Authorize('decide', 'Referral')
  @IdempotentWrite()
  @ApiOperation({
    summary: 'The receiving team accepts (opens a case), redirects (with advice) or declines (with a reason)',
  })
  decide(@Access() access: AccessContext, @Param() params: UuidParam, @Body() body: ReferralDecisionDto) {
    return this.referrals.decide(access, params.id, body);
  }
}
