import { Module } from '@nestjs/common';
import { AgreementsController } from './agreements/agreements.controller.js';
import { AgreementsRepository } from './agreements/agreements.repository.js';
import { AgreementsService } from './agreements/agreements.service.js';
import { PartnerKeysService } from './partner-keys.service.js';
import { PartnerRegistry } from './partner-registry.service.js';
import { PartnersController } from './partners.controller.js';
import { PartnersRepository } from './partners.repository.js';
import { PartnersService } from './partners.service.js';

@Module({
  controllers: [PartnersController, AgreementsController],
  providers: [
    PartnersRepository,
    PartnersService,
    PartnerKeysService,
    PartnerRegistry,
    AgreementsRepository,
    AgreementsService,
  ],
  exports: [PartnersRepository, PartnersService, PartnerKeysService, PartnerRegistry, AgreementsService],
})
export class PartnersModule {}
