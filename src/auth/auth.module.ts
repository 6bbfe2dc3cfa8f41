import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PartnersModule } from '../partners/partners.module.js';
import { AccessGuard } from './access.guard.js';
import { SessionController } from './session.controller.js';
import { TokenVerifierService } from './token-verifier.service.js';
import { ConsoleAuthController } from './console/console-auth.controller.js';
import { ConsoleSessionRepository } from './console/console-session.repository.js';
import { ConsoleSessionsService } from './console/console-sessions.service.js';
import { OidcSignInService } from './console/oidc-sign-in.service.js';

@Module({
  imports: [PartnersModule],
  controllers: [SessionController, ConsoleAuthController],
  providers: [
    TokenVerifierService,
    ConsoleSessionRepository,
    ConsoleSessionsService,
    OidcSignInService,
    { provide: APP_GUARD, useClass: AccessGuard },
  ],
  exports: [TokenVerifierService],
})
export class AuthModule {}
