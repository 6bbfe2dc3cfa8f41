import { Module } from '@nestjs/common';
import { ClientsModule } from '../clients/clients.module.js';
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
export class ConsentModule {}
