import { Body, Controller, Get, Headers, HttpCode, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiPropertyOptional, ApiResponse, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { Authorize } from '../access/decorators.js';
import { ProblemException } from '../common/problem/problem.js';
import { ExplainDto, ExplainResultDto } from '../policies/dto/explain.dto.js';
import { PartnersService } from '../partners/partners.service.js';
import { PolicyOverviewService } from '../policies/policy-overview.service.js';

export class RegisterQuery {
  @ApiPropertyOptional({
    enum: ['nl', 'fr', 'en'],
    default: 'en',
    description: 'Language of the record: titles, purpose descriptions, grounds, transfers and security measures',
  })
  @IsOptional()
  @IsIn(['nl', 'fr', 'en'])
  lang?: 'nl' | 'fr' | 'en';
}

/** Which representation of the record the caller accepts: Markdown, JSON, or neither (406). */
function representation(accept: string | undefined): 'markdown' | 'json' | null {
  if (!accept) return 'json';
  const types = accept.split(',').map((t) => t.split(';')[0].trim().toLowerCase());
  if (types.includes('text/markdown')) return 'markdown';
  if (
    types.some(
      (t) => t === 'application/json' || t === 'application/*' || t === '*/*' || t === 'application/problem+json',
    )
  )
    return 'json';
  return null;
}

@ApiTags('policies')
@Controller('v1')
export class PoliciesController {
  constructor(
    private readonly overview: PolicyOverviewService,
    private readonly partners: PartnersService,
  ) {}

  @Get('policies')
  @Authorize('read', 'Policy')
  @ApiOperation({
    summary: 'The enforced policy: version, switches, purposes, roles, categories and a readable summary of every rule',
  })
  summary() {
    return this.overview.summary();
  }

  @Post('policies/explain')
  @HttpCode(200)
  @Authorize('explain', 'Policy')
  @ApiOperation({
    summary:
      'Why would this subject be permitted or refused this action for this purpose: the deciding rule (file and line), permitted categories, and what is missing',
  })
  @ApiOkResponse({ type: ExplainResultDto })
  explain(@Body() body: ExplainDto) {
    return this.overview.explain(body);
  }

  @Get('processing-register')
  @Authorize('read', 'Policy')
  @ApiOperation({
    summary:
      'Record of processing activities (GDPR art. 30), generated from the enforced policy; Markdown with Accept: text/markdown',
  })
  @ApiProduces('application/json', 'text/markdown')
  @ApiOkResponse({
    description: 'One activity per purpose: legal basis, data subjects, categories, recipients, retention',
  })
  @ApiResponse({ status: 406, description: 'Accept names neither JSON nor Markdown' })
  async register(
    @Query() query: RegisterQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const as = representation(accept);
    if (as === null)
      throw new ProblemException(
        'not-acceptable',
        'The record of processing is available as application/json or text/markdown',
      );
    const controllers = await this.partners.privacyContacts();
    if (as === 'markdown') {
      reply.header('content-type', 'text/markdown; charset=utf-8');
      return this.overview.registerMarkdown(query.lang ?? 'en', controllers);
    }
    return this.overview.register(query.lang ?? 'en', controllers);
  }
}
