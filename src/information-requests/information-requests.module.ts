import { Module, type OnModuleInit } from '@nestjs/common';
import { AccessService } from '../access/access.service.js';
import type { SubjectType } from '../access/decision.js';
import { CasesService } from '../cases/cases.service.js';
import { CasesModule } from '../cases/cases.module.js';
import { InformationRequestsController } from './information-requests.controller.js';
import { InformationRequestsRepository } from './information-requests.repository.js';
import { InformationRequestsService } from './information-requests.service.js';

@Module({
  imports: [CasesModule],
  controllers: [InformationRequestsController],
  providers: [InformationRequestsRepository, InformationRequestsService],
})
export class InformationRequestsModule implements OnModuleInit {
  constructor(
    private readonly access: AccessService,
    private readonly requests: InformationRequestsRepository,
    private readonly cases: CasesService,
  ) {}

  /** A refused request or disclosure names the case's client and holder. */
  onModuleInit(): void {
    for (const type of ['InformationRequest', 'Disclosure'] as SubjectType[]) {
      this.access.registerResolver(type, async (manager, params) => {
        const caseId = params.id ? await this.requests.caseOf(manager, params.id) : null;
        const subject = caseId ? await this.cases.subjectOf(manager, caseId) : null;
        return subject
          ? { type, id: params.id, clientId: subject.clientId, custodianPartnerId: subject.custodianPartnerId }
          : null;
      });
    }
  }
}
