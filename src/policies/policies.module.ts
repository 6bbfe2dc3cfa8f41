import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { POLICY_SET, PolicyEngineService } from './policy-engine.js';
import { loadPolicySet } from './policy-files.js';
import { PolicyOverviewService } from './policy-overview.service.js';
import { PolicyService } from './policy.service.js';

@Global()
@Module({
  providers: [
    // Loaded once at start: a policy error stops the gateway from starting.
    { provide: POLICY_SET, inject: [APP_CONFIG], useFactory: (config: AppConfig) => loadPolicySet(config.policiesDir) },
    PolicyService,
    PolicyEngineService,
    PolicyOverviewService,
  ],
  exports: [PolicyService, PolicyEngineService, PolicyOverviewService],
})
export class PoliciesModule {}
