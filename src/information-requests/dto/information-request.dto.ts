import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PageQuery } from '../../common/http/pagination.js';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class CreateInformationRequestDto {
  @ApiProperty({ format: 'uuid' }) @Matches(UUID, { message: 'caseId must be a UUID' }) caseId!: string;
  @ApiProperty({ example: 'duo-follow-up', description: 'Must equal the X-Purpose header' })
  @Matches(/^[a-z][a-z0-9-]{0,63}$/)
  purpose!: string;
  @ApiProperty({ type: [String], example: ['housing', 'social'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @Matches(/^[a-z][a-z0-9-]{0,63}$/, { each: true })
  categories!: string[];
  @ApiProperty({ example: 'Joint home visit on rent arrears', minLength: 10 })
  @IsString()
  @Length(10, 2000)
  justification!: string;
}

export class ReviewDto {
  @ApiPropertyOptional({ description: 'Why the disclosure is (not) necessary' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  note?: string;
}

export const REQUEST_STATUSES = ['pending', 'permit', 'deny'] as const;

/** `GET /v1/information-requests`: the coordinator's queue (`?status=pending`) or one case's requests (`?caseId=`). */
export class InformationRequestListQuery extends PageQuery {
  @ApiPropertyOptional({
    enum: REQUEST_STATUSES,
    example: 'pending',
    description: "The request's decision: pending = waiting for the case coordinator's judgement",
  })
  @IsOptional()
  @IsIn(REQUEST_STATUSES)
  status?: (typeof REQUEST_STATUSES)[number];

  @ApiPropertyOptional({ format: 'uuid', description: 'Only the requests about this case' })
  @IsOptional()
  @Matches(UUID, { message: 'caseId must be a UUID' })
  caseId?: string;
}
