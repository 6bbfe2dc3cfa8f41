import { Module } from '@nestjs/common';
import { ConsentModule } from '../consent/consent.module.js';
import { PartnersModule } from '../partners/partners.module.js';
import { CasesController } from './cases.controller.js';
import { CasesRepository } from './cases.repository.js';
import { CasesService } from './cases.service.js';

@Module({
  imports: [PartnersModule, ConsentModule],
  controllers: [CasesController],
  providers: [CasesRepository, CasesService],
  exports: [CasesService],
})
export class CasesModule {}
