import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AccessEntryInterceptor } from './access-entry.interceptor.js';
import { AccessLogModule } from '../access-log/access-log.module.js';
import { AccessService } from './access.service.js';

/** The access kernel, available to every capability (each decides and records through it). */
@Global()
@Module({
  imports: [AccessLogModule],
  providers: [AccessService, { provide: APP_INTERCEPTOR, useClass: AccessEntryInterceptor }],
  exports: [AccessService],
})
export class AccessModule {}
