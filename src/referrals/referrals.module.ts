import { Module } from '@nestjs/common';
import { CasesModule } from '../cases/cases.module.js';
import { PartnersModule } from '../partners/partners.module.js';
import { ReferralsController } from './referrals.controller.js';
import { ReferralsRepository } from './referrals.repository.js';
import { ReferralsService } from './referrals.service.js';

@Module({
  imports: [PartnersModule, CasesModule],
  controllers: [ReferralsController],
  providers: [ReferralsRepository, ReferralsService],
})
export class ReferralsModule {}
