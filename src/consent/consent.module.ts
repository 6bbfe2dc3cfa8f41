import { Module, type OnModuleInit } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module.js';
import { ClientsService } from '../clients/clients.service.js';
import { PartnersModule } from '../partners/partners.module.js';
import { ConsentController } from './consent.controller.js';
import { ConsentRepository } from './consent.repository.js';
import { ConsentService } from './consent.service.js';

@Module({
  imports: [PartnersModule, ClientsModule],
  controllers: [ConsentController],
  providers: [ConsentRepository, ConsentService],
  exports: [ConsentService],
})
export class ConsentModule implements OnModuleInit {
  constructor(
    private readonly clients: ClientsService,
    private readonly consents: ConsentService,
  ) {}

  /** The client's consents travel with an export (art. 20) and lose their personal details at an erasure (art. 17). */
  onModuleInit(): void {
    this.clients.registerClientData('consents', {
      export: (manager, clientId) => this.consents.exportFor(manager, clientId),
      erase: (manager, clientId) => this.consents.eraseFor(manager, clientId),
    });
  }
}
