import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import type { AccessContext } from '../access/access-context.js';
import { Access } from '../access/access-context.js';
import { Authorize } from '../access/decorators.js';
import { UuidParam } from '../common/http/params.js';
import { ReviewsService } from './reviews.service.js';

export class ReviewQuery {
  @ApiPropertyOptional({ enum: ['open', 'resolved'] }) @IsOptional() @IsIn(['open', 'resolved']) status?:
    'open' | 'resolved';
}

export class ResolveReviewDto {
  @ApiProperty({ enum: ['justified', 'not-justified'] }) @IsIn(['justified', 'not-justified']) verdict!:
    'justified' | 'not-justified';
  @ApiProperty({ minLength: 5 }) @IsString() @Length(5, 2000) note!: string;
}

@ApiTags('oversight')
@Controller('v1/reviews')
export class ReviewsController {
  constructor(private readonly reviews: ReviewsService) {}

  @Get()
  @Authorize('read', 'Review')
  @ApiOperation({ summary: 'Break-the-glass uses (and anomalies) waiting for a privacy officer, newest first' })
  list(@Access() access: AccessContext, @Query() query: ReviewQuery) {
    return this.reviews.list(access, query.status);
  }

  @Get(':id')
  @Authorize('read', 'Review')
  @ApiOperation({ summary: 'One review item with the access-log entries behind it (metadata only)' })
  get(@Access() access: AccessContext, @Param() params: UuidParam) {
    return this.reviews.get(access, params.id);
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @Authorize('update', 'Review')
  @ApiOperation({ summary: 'Resolve an item with a verdict (justified / not-justified) and a note' })
  resolve(@Access() access: AccessContext, @Param() params: UuidParam, @Body() body: ResolveReviewDto) {
    return this.reviews.resolve(access, params.id, body.verdict, body.note);
  }
}
