import { type DynamicModule, Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { AccessLogModule } from './access-log/access-log.module.js';
import { AccessModule } from './access/access.module.js';
import { DatabaseModule } from './database/database.module.js';
import { AuthModule } from './auth/auth.module.js';
import { APP_LOGGER } from './common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from './config/config.js';
import { IdempotencyModule } from './common/idempotency/idempotency.module.js';
import { CryptoModule } from './common/crypto/crypto.module.js';
import { HealthModule } from './health/health.module.js';
import { ReferralsModule } from './referrals/referrals.module.js';
import { CasesModule } from './cases/cases.module.js';
import { ClientsModule } from './clients/clients.module.js';
import { ConsentModule } from './consent/consent.module.js';
import { ConsoleModule } from './console/console.module.js';
import { InformationRequestsModule } from './information-requests/information-requests.module.js';
import { OversightModule } from './oversight/oversight.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { PartnersModule } from './partners/partners.module.js';
import { PoliciesModule } from './policies/policies.module.js';

export interface AppDependencies {
  config: AppConfig;
  logger: Logger;
  /** Initialised and migrated before Nest starts, so the app never runs on an unmigrated schema. */
  dataSource: DataSource;
}

/** Configuration and the logger, visible to every module. */
@Global()
@Module({})
class CoreModule {
  static forRoot({ config, logger }: AppDependencies): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: APP_LOGGER, useValue: logger },
      ],
      exports: [APP_CONFIG, APP_LOGGER],
    };
  }
}

@Module({})
export class AppModule {
  static forRoot(deps: AppDependencies): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(deps),
        TypeOrmModule.forRootAsync({
          useFactory: () => deps.dataSource.options,
          dataSourceFactory: async () => deps.dataSource,
        }),
        DatabaseModule,
        PoliciesModule,
        AccessLogModule,
        AccessModule,
        CryptoModule,
        PartnersModule,
        AuthModule,
        IdempotencyModule,
        ReferralsModule,
        CasesModule,
        ClientsModule,
        ConsentModule,
        InformationRequestsModule,
        OversightModule,
        NotificationsModule,
        HealthModule,
        ConsoleModule,
      ],
    };
  }
}
