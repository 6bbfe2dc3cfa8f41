import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import type { FastifyReply } from 'fastify';
import type { AccessContext } from '../access/access-context.js';
import { Access } from '../access/access-context.js';
import { Authorize } from '../access/decorators.js';
import { ClientIdParam } from '../consent/dto/consent.dto.js';
import { AccessReportService, type Lang } from './access-report.service.js';

export class AccessReportQuery {
  @ApiPropertyOptional({ enum: ['nl', 'fr', 'en'], default: 'nl' }) @IsOptional() @IsIn(['nl', 'fr', 'en']) lang?: Lang;
}

export class ContestDto {
  @ApiProperty({ format: 'uuid', description: 'The access (log entry id) the client contests' })
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { message: 'entryId must be a UUID' })
  entryId!: string;

  @ApiProperty({ minLength: 5 }) @IsString() @Length(5, 2000) note!: string;
}

@ApiTags('oversight')
@Controller('v1/clients/:clientId/access-report')
export class AccessReportController {
  constructor(private readonly reports: AccessReportService) {}

  @Get()
  @Authorize('read', 'ClientAccessReport')
  @ApiOperation({
    summary:
      "The client's access report (GDPR art. 15), X-Purpose: subject-access; JSON, or a printable page with Accept: text/html",
  })
  @ApiProduces('application/json', 'text/html')
  async report(
    @Access() access: AccessContext,
    @Param() params: ClientIdParam,
    @Query() query: AccessReportQuery,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const report = await this.reports.report(access, params.clientId, query.lang ?? 'nl');
    if (accept?.includes('text/html')) {
      reply.header('content-type', 'text/html; charset=utf-8');
      return this.reports.html(report);
    }
    return report;
  }

  @Post('contests')
  @HttpCode(201)
  @Authorize('create', 'ClientAccessReport')
  @ApiOperation({
    summary: "Register, on the client's behalf, that the client contests an access: it becomes a review item",
  })
  contest(@Access() access: AccessContext, @Param() params: ClientIdParam, @Body() body: ContestDto) {
    return this.reports.contest(access, params.clientId, body.entryId, body.note);
  }
}
