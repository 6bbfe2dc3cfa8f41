import { Module, type OnModuleInit } from '@nestjs/common';
import { AccessService } from '../access/access.service.js';
import { CasesModule } from '../cases/cases.module.js';
import { CasesService } from '../cases/cases.service.js';
import { ClientsModule } from '../clients/clients.module.js';
import { ClientsService } from '../clients/clients.service.js';
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
    private readonly cases: CasesService,
    private readonly referrals: ReferralsRepository,
    private readonly clients: ClientsService,
    private readonly service: ReferralsService,
  ) {}

  onModuleInit(): void {
    this.clients.registerClientRecords('referrals', {
      move: (manager, from, to) => this.referrals.moveClient(manager, from, to),
      restore: (manager, ids, to) => this.referrals.restoreClient(manager, ids, to),
    });
    this.clients.registerClientData('referrals', {
      export: (manager, clientId) => this.service.exportFor(manager, clientId),
      erase: (manager, clientId) => this.service.eraseFor(manager, clientId),
      expired: (manager, now) => this.service.expiredClients(manager, now),
    });
    // Contact made on the case, and its closing, are what may flow back to the referrer.
    this.cases.onContactEstablished((manager, referralId) =>
      this.service.caseProgressed(manager, referralId, 'contact-established'),
    );
    this.cases.onClosed((manager, referralId) => this.service.caseProgressed(manager, referralId, 'closed'));
    this.access.registerResolver('Referral', (manager, params) =>
      params.id ? this.facts.subjectOf(manager, params.id) : Promise.resolve(null),
    );
  }
}
