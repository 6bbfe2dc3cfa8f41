import { Module, type OnModuleInit } from '@nestjs/common';
import { AccessService } from '../access/access.service.js';
import { CasesModule } from '../cases/cases.module.js';
import { ClientsModule } from '../clients/clients.module.js';
import { ReferralFacts } from './referral.facts.js';
import { PartnersModule } from '../partners/partners.module.js';
import { ReferralsController } from './referrals.controller.js';
import { ReferralsRepository } from './referrals.repository.js';
import { ReferralsService } from './referrals.service.js';

@Module({
  imports: [PartnersModule, CasesModule, ClientsModule],
  controllers: [ReferralsController],
  providers: [ReferralsRepository, ReferralsService, ReferralFacts],
})
export class ReferralsModule implements OnModuleInit {
  constructor(
    private readonly access: AccessService,
    private readonly facts: ReferralFacts,
  ) {}

  onModuleInit(): void {
    this.access.registerResolver('Referral', (manager, params) =>
      params.id ? this.facts.subjectOf(manager, params.id) : Promise.resolve(null),
    );
  }
}
