import { Module, type OnModuleInit } from '@nestjs/common';
import { AccessService } from '../access/access.service.js';
import type { SubjectType } from '../access/decision.js';
import { ClientFacts } from './client.facts.js';
import { ClientsController } from './clients.controller.js';
import { ClientsRepository } from './clients.repository.js';
import { ClientsService } from './clients.service.js';
import { Clock } from '../common/time/clock.js';
import { PartnersModule } from '../partners/partners.module.js';
import { RetentionController } from './retention.controller.js';
import { RetentionService } from './retention.service.js';

@Module({
  imports: [PartnersModule],
  controllers: [ClientsController, RetentionController],
  providers: [ClientsRepository, ClientsService, ClientFacts, RetentionService, Clock],
  exports: [ClientsService, ClientFacts, Clock],
})
export class ClientsModule implements OnModuleInit {
  constructor(
    private readonly access: AccessService,
    private readonly facts: ClientFacts,
  ) {}

  /** Refusals at the gate of routes about a client name the client and the team that holds it. */
  onModuleInit(): void {
    for (const type of ['Client', 'Consent', 'ClientAccessReport', 'ClientIdentity', 'ClientData'] as SubjectType[]) {
      this.access.registerResolver(type, (manager, params) => {
        const clientId =
          params.clientId ??
          (type === 'Client' || type === 'ClientIdentity' || type === 'ClientData' ? params.id : undefined);
        return clientId ? this.facts.subjectOf(manager, clientId, type) : Promise.resolve(null);
      });
    }
  }
}
