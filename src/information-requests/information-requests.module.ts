import { Module } from '@nestjs/common';
import { CasesModule } from '../cases/cases.module.js';
import { InformationRequestsController } from './information-requests.controller.js';
import { InformationRequestsRepository } from './information-requests.repository.js';
import { InformationRequestsService } from './information-requests.service.js';

@Module({
  imports: [CasesModule],
  controllers: [InformationRequestsController],
  providers: [InformationRequestsRepository, InformationRequestsService],
})
export class InformationRequestsModule {}
