import { Module, type OnModuleInit } from '@nestjs/common';
import { AccessService } from '../access/access.service.js';
import { CaseFacts } from './case.facts.js';
import { ClientsModule } from '../clients/clients.module.js';
import { ClientsService } from '../clients/clients.service.js';
import { ConsentModule } from '../consent/consent.module.js';
import { OversightModule } from '../oversight/oversight.module.js';
import { PartnersModule } from '../partners/partners.module.js';
import { CasesController } from './cases.controller.js';
import { CasesRepository } from './cases.repository.js';
import { CasesService } from './cases.service.js';

@Module({
  imports: [PartnersModule, ConsentModule, OversightModule, ClientsModule],
  controllers: [CasesController],
  providers: [CasesRepository, CasesService, CaseFacts],
  exports: [CasesService, CaseFacts],
})
export class CasesModule implements OnModuleInit {
  constructor(
    private readonly access: AccessService,
    private readonly cases: CasesRepository,
    private readonly clients: ClientsService,
    private readonly service: CasesService,
  ) {}

  /** Refusals at the gate name the case, its client and its holder. */
  onModuleInit(): void {
    this.clients.registerClientRecords('cases', {
      move: (manager, from, to) => this.cases.moveClient(manager, from, to),
      restore: (manager, ids, to) => this.cases.restoreClient(manager, ids, to),
    });
    this.clients.registerClientData('cases', {
      export: (manager, clientId) => this.service.exportFor(manager, clientId),
      erase: (manager, clientId) => this.service.eraseFor(manager, clientId),
      blocksErasure: (manager, clientId) => this.service.blocksErasure(manager, clientId),
      expired: (manager, now) => this.service.expiredClients(manager, now),
    });
    const resolve = async (manager: Parameters<CasesRepository['subjectOf']>[0], params: Record<string, string>) =>
      params.id ? this.cases.subjectOf(manager, params.id) : null;
    this.access.registerResolver('Case', async (manager, params) => {
      const found = await resolve(manager, params);
      return found ? { type: 'Case', ...found } : null;
    });
    this.access.registerResolver('EmergencyAccess', async (manager, params) => {
      const found = await resolve(manager, params);
      return found ? { type: 'EmergencyAccess', ...found } : null;
    });
  }
}
