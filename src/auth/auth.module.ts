import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PartnersModule } from '../partners/partners.module.js';
import { AccessGuard } from './access.guard.js';
import { SessionController } from './session.controller.js';
import { TokenVerifierService } from './token-verifier.service.js';

@Module({
  imports: [PartnersModule],
  controllers: [SessionController],
  providers: [TokenVerifierService, { provide: APP_GUARD, useClass: AccessGuard }],
  exports: [TokenVerifierService],
})
export class AuthModule {}
