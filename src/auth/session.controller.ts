import { Controller, Get, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AgreementsService } from '../partners/agreements/agreements.service.js';
import { PartnerRegistry } from '../partners/partner-registry.service.js';
import { Authenticated } from '../access/decorators.js';

class Counterpart {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty() type!: string;
}

class CooperationPartner extends Counterpart {
  @ApiProperty({ type: [String], example: ['care-coordination', 'duo-follow-up'] }) purposes!: string[];
}

export class SessionView {
  @ApiProperty() partnerId!: string;
  @ApiProperty() partnerName!: string;
  @ApiProperty() partnerType!: string;
  @ApiProperty({ description: "The token's sub" }) subject!: string;
  @ApiProperty({ type: [String] }) roles!: string[];
  @ApiPropertyOptional({ nullable: true }) profession!: string | null;
  @ApiProperty({
    type: [Counterpart],
    description: 'Partners this organisation may refer to today (an agreement for "referral" in force)',
  })
  referralTargets!: Counterpart[];
  @ApiProperty({
    type: [CooperationPartner],
    description:
      'Partners this organisation cooperates with today (an agreement in force), with the purposes agreed: whom a circle of care, a consent or a handover can name',
  })
  cooperationPartners!: CooperationPartner[];
  @ApiPropertyOptional({
    description:
      'Only for a person signed in to the console: the token to send as X-CSRF-Token with every state-changing request',
  })
  csrfToken?: string;
}

/** Who am I: what a console or partner system needs to show the right screens. No client data. */
@ApiTags('auth')
@Controller('v1/session')
export class SessionController {
  constructor(
    private readonly partners: PartnerRegistry,
    private readonly agreements: AgreementsService,
  ) {}

  @Get()
  @Authenticated()
  @ApiOperation({ summary: 'The calling user and organisation as the gateway sees them, and whom it may refer to' })
  @ApiOkResponse({ type: SessionView })
  async current(@Req() request: FastifyRequest): Promise<SessionView> {
    // The guard has verified the token and set the principal before this runs.
    const principal = request.principal!;
    const partner = await this.partners.byId(principal.partnerId);
    const cooperationPartners = await this.agreements.cooperationPartners(principal.partnerId);
    return {
      partnerId: principal.partnerId,
      partnerName: partner?.name ?? principal.partnerId,
      partnerType: principal.partnerType,
      subject: principal.subject,
      roles: principal.roles,
      profession: principal.profession ?? null,
      // Whom it may refer to: the partners it cooperates with under a referral agreement (one query for both).
      referralTargets: cooperationPartners
        .filter((p) => p.purposes.includes('referral'))
        .map(({ id, name, type }) => ({ id, name, type })),
      cooperationPartners,
      ...(request.consoleSession ? { csrfToken: request.consoleSession.csrfToken } : {}),
    };
  }
}
