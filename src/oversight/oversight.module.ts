import { Module, type OnModuleInit } from '@nestjs/common';
import { ClientsService } from '../clients/clients.service.js';
import { ClientsModule } from '../clients/clients.module.js';
import { ConsentModule } from '../consent/consent.module.js';
import { PartnersModule } from '../partners/partners.module.js';
import { AccessLogController } from './access-log.controller.js';
import { PoliciesController } from './policies.controller.js';
import { WellKnownController } from './well-known.controller.js';
import { AccessLogSearchService } from './access-log-search.service.js';
import { AccessReportController } from './access-report.controller.js';
import { AnomaliesService } from './anomalies.service.js';
import { AccessReportService } from './access-report.service.js';
import { ReviewsController } from './reviews.controller.js';
import { ReviewsRepository } from './reviews.repository.js';
import { StatisticsController } from './statistics.controller.js';
import { StatisticsRepository } from './statistics.repository.js';
import { StatisticsService } from './statistics.service.js';
import { ReviewsService } from './reviews.service.js';
import { ReceiptsController } from './receipts.controller.js';
import { ReceiptsService } from './receipts.service.js';

@Module({
  imports: [ClientsModule, ConsentModule, PartnersModule],
  controllers: [
    AccessLogController,
    PoliciesController,
    WellKnownController,
    ReviewsController,
    AccessReportController,
    StatisticsController,
    ReceiptsController,
  ],
  providers: [
    AccessLogSearchService,
    ReviewsRepository,
    ReviewsService,
    AccessReportService,
    StatisticsService,
    StatisticsRepository,
    AnomaliesService,
    ReceiptsService,
  ],
  exports: [ReviewsService],
})
export class OversightModule implements OnModuleInit {
  constructor(
    private readonly clients: ClientsService,
    private readonly reviews: ReviewsService,
  ) {}

  /** At an erasure the review items about the client lose their free text (not exported: they judge the professionals). */
  onModuleInit(): void {
    this.clients.registerClientData('reviews', {
      erase: (manager, clientId) => this.reviews.eraseFor(manager, clientId),
    });
  }
}
