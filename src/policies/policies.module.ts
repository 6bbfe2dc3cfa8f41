import { Global, Module } from '@nestjs/common';
import { PoliciesController } from './policies.controller.js';
import { PolicyOverviewService } from './policy-overview.service.js';
import { PolicyService } from './policy.service.js';

@Global()
@Module({
  controllers: [PoliciesController],
  providers: [PolicyService, PolicyOverviewService],
  exports: [PolicyService],
})
export class PoliciesModule {}
