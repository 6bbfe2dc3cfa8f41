import { Global, Module } from '@nestjs/common';
import { AccessLogModule } from '../access-log/access-log.module.js';
import { AccessEntryHeader } from './access-entry.header.js';
import { AccessService } from './access.service.js';

/** The access kernel, available to every capability (each decides and records through it). */
@Global()
@Module({
  imports: [AccessLogModule],
  providers: [AccessService, AccessEntryHeader],
  exports: [AccessService],
})
export class AccessModule {}
