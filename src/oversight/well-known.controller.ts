import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../access/decorators.js';
import { GATEWAY_KEYS, type GatewayKeys } from '../access-log/gateway-keys.js';

@ApiTags('access-log')
@Controller('.well-known')
export class WellKnownController {
  constructor(@Inject(GATEWAY_KEYS) private readonly keys: GatewayKeys) {}

  @Get('jwks.json')
  @Public()
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({
    summary: "The gateway's public keys for access-log checkpoints: the current signing key first, then retired ones",
  })
  jwks(): { keys: object[] } {
    return { keys: this.keys.verificationJwks };
  }
}
