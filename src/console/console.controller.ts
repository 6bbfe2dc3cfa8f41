import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../access/decorators.js';
import { ConsoleAssets } from './console-assets.js';

/**
 * Stricter than the API's policy: the console runs only its own script and styles, sends data
 * only to this origin, and has no form that the browser could submit on its own (form-action
 * 'none'), so nothing typed into it can end up in a URL.
 */
const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The web console: static files only, public like /docs. Every datum it shows is fetched by
 * the browser from the API with the user's own token, so the API's guard, policy and access
 * log apply to the console exactly as to any partner system.
 */
@ApiExcludeController()
@Controller('console')
export class ConsoleController {
  constructor(private readonly assets: ConsoleAssets) {}

  @Get()
  @Public()
  page(@Res() reply: FastifyReply): void {
    this.send(reply, 'index.html');
  }

  @Get(':asset')
  @Public()
  asset(@Param('asset') name: string, @Res() reply: FastifyReply): void {
    this.send(reply, name);
  }

  private send(reply: FastifyReply, name: string): void {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException('No such console file');
    void reply
      .header('content-type', asset.type)
      .header('content-security-policy', CONSOLE_CSP)
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .send(asset.body);
  }
}
