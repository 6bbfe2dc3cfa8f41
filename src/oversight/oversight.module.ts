import { Module } from '@nestjs/common';
import { AccessReportController } from './access-report.controller.js';
import { AnomaliesService } from './anomalies.service.js';
import { AccessReportService } from './access-report.service.js';
import { ReviewsController } from './reviews.controller.js';
import { StatisticsController } from './statistics.controller.js';
import { StatisticsService } from './statistics.service.js';
import { ReviewsService } from './reviews.service.js';

@Module({
  controllers: [ReviewsController, AccessReportController, StatisticsController],
  providers: [ReviewsService, AccessReportService, StatisticsService, AnomaliesService],
})
export class OversightModule {}
