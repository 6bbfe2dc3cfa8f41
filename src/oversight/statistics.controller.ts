import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsISO8601, IsOptional, Matches } from 'class-validator';
import type { AccessContext } from '../access/access-context.js';
import { Access } from '../access/access-context.js';
import { Authorize } from '../access/decorators.js';
import { ProblemException } from '../common/problem/problem.js';
import { StatisticsService } from './statistics.service.js';
import { ProgrammeId } from '../policies/programme.js';
import { PolicyService } from '../policies/policy.service.js';

export class StatisticsQuery {
  @ApiProperty({ format: 'date' }) @IsISO8601({ strict: true }) @Matches(/^\d{4}-\d{2}-\d{2}$/) from!: string;
  @ApiProperty({ format: 'date' }) @IsISO8601({ strict: true }) @Matches(/^\d{4}-\d{2}-\d{2}$/) to!: string;
  @ApiPropertyOptional({ description: 'Only referrals to this team' })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/)
  partner?: string;
  @ProgrammeId('Only referrals to teams registered under this programme (one of `programmes` in policies/network.yaml)')
  programme?: string;
}

@ApiTags('oversight')
@Controller('v1/statistics')
export class StatisticsController {
  constructor(
    private readonly statistics: StatisticsService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  @Authorize('read', 'Statistics')
  @ApiOperation({
    summary:
      'Aggregated figures (X-Purpose: statistics): referrals by referrer type and eviction stage, decisions, reach, time to first contact, time on the waiting list, follow-up duration, end reasons, linkage to care, evictions and forced admissions; small cells suppressed',
  })
  get(@Access() access: AccessContext, @Query() query: StatisticsQuery) {
    if (query.to < query.from)
      throw new ProblemException('validation-failed', 'The period ends before it starts', {
        errors: [{ pointer: '/to', detail: 'before from' }],
      });
    this.policy.requireKnownProgramme(query.programme);
    return this.statistics.compute(access, query);
  }
}
