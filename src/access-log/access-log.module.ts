import { Global, Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { AccessLogRepository } from './access-log.repository.js';
import { AnomalyRepository } from './anomaly.repository.js';
import { AccessLogService } from './access-log.service.js';
import { ChainService } from './chain.service.js';
import { GATEWAY_KEYS, loadGatewayKeys } from './gateway-keys.js';

/** Global: every capability that touches client data records its accesses through AccessLogService. */
@Global()
@Module({
  providers: [
    { provide: GATEWAY_KEYS, inject: [APP_CONFIG], useFactory: (config: AppConfig) => loadGatewayKeys(config) },
    AccessLogRepository,
    AnomalyRepository,
    AccessLogService,
    ChainService,
  ],
  exports: [AccessLogService, ChainService, GATEWAY_KEYS],
})
export class AccessLogModule {}
