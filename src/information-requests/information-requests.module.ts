import { Module, type OnModuleInit } from '@nestjs/common';
import { AccessService } from '../access/access.service.js';
import type { SubjectType } from '../access/decision.js';
import { CasesService } from '../cases/cases.service.js';
import { CasesModule } from '../cases/cases.module.js';
import { ClientsModule } from '../clients/clients.module.js';
import { ClientsService } from '../clients/clients.service.js';
import { InformationRequestsController } from './information-requests.controller.js';
import { InformationRequestsRepository } from './information-requests.repository.js';
import { InformationRequestsService } from './information-requests.service.js';

@Module({
  imports: [CasesModule, ClientsModule],
  controllers: [InformationRequestsController],
  providers: [InformationRequestsRepository, InformationRequestsService],
})
export class InformationRequestsModule implements OnModuleInit {
  constructor(
    private readonly access: AccessService,
    private readonly requests: InformationRequestsRepository,
    private readonly cases: CasesService,
    private readonly clients: ClientsService,
    private readonly service: InformationRequestsService,
  ) {}

  /**
   * A refused request or disclosure names the case's client and holder. At an erasure (art. 17,
   * or the retention job) the requests about the client's cases lose their free text; they are
   * not part of an export (art. 20): they are the partners' exchanges, not the client's data.
   */
  onModuleInit(): void {
    this.clients.registerClientData('informationRequests', {
      erase: (manager, clientId) => this.service.eraseFor(manager, clientId),
    });
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
