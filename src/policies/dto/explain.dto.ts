import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  ValidateNested,
} from 'class-validator';
import { PARTNER_TYPES } from '../../common/vocabulary/partner-types.js';

const SLUG = /^[a-z][a-z0-9-]{0,63}$/;

export class ExplainSubjectDto {
  @ApiProperty({ enum: PARTNER_TYPES, example: 'caw' })
  @IsIn(PARTNER_TYPES)
  partnerType!: string;

  @ApiProperty({ type: [String], example: ['caseworker'] })
  @IsArray()
  @ArrayMaxSize(10)
  @Matches(SLUG, { each: true })
  roles!: string[];

  @ApiPropertyOptional({ example: 'social-worker' })
  @IsOptional()
  @Matches(SLUG)
  profession?: string;
}

export class ExplainFactsDto {
  @ApiPropertyOptional() @IsOptional() @IsBoolean() agreementInForce?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() inCircle?: boolean;
  @ApiPropertyOptional({ enum: ['yes', 'no', 'refused'] })
  @IsOptional()
  @IsIn(['yes', 'no', 'refused'])
  tenantInformed?: 'yes' | 'no' | 'refused';
  @ApiPropertyOptional() @IsOptional() @IsBoolean() ownOrganisation?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() breakTheGlass?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() aftercare?: boolean;
  @ApiPropertyOptional({ description: "The subject's organisation is the network operator" })
  @IsOptional()
  @IsBoolean()
  operator?: boolean;
  @ApiPropertyOptional({ description: "The subject's organisation is the office that judges this review item" })
  @IsOptional()
  @IsBoolean()
  responsibleOffice?: boolean;
}

/** "Why would this subject be permitted or refused this action, for this purpose?" */
export class ExplainDto {
  @ApiProperty({ type: ExplainSubjectDto })
  @IsObject()
  @ValidateNested()
  @Type(() => ExplainSubjectDto)
  subject!: ExplainSubjectDto;

  @ApiProperty({ example: 'read' })
  @Matches(SLUG)
  action!: string;

  @ApiProperty({ example: 'Case' })
  @IsString()
  @Matches(/^[A-Z][A-Za-z]{1,40}$/)
  resource!: string;

  @ApiProperty({ example: 'duo-follow-up' })
  @Matches(SLUG)
  purpose!: string;

  @ApiPropertyOptional({ type: ExplainFactsDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => ExplainFactsDto)
  facts?: ExplainFactsDto;

  @ApiPropertyOptional({
    type: [String],
    description: 'Categories the client consented to for this recipient and purpose',
  })
  @IsOptional()
  @IsArray()
  @Matches(SLUG, { each: true })
  consent?: string[];

  @ApiPropertyOptional({
    type: [String],
    description: 'Categories covered by "informed, no objection" (counts only where network.yaml allows it)',
  })
  @IsOptional()
  @IsArray()
  @Matches(SLUG, { each: true })
  informedNoObjection?: string[];

  @ApiPropertyOptional({ description: 'An explicit objection of the client is on file (for every category)' })
  @IsOptional()
  @IsBoolean()
  objection?: boolean;

  @ApiPropertyOptional({
    type: [String],
    description: 'Categories the client objected to for this recipient and purpose',
  })
  @IsOptional()
  @IsArray()
  @Matches(SLUG, { each: true })
  objectedCategories?: string[];

  @ApiPropertyOptional({ type: [String], description: 'Categories asked for; all by default' })
  @IsOptional()
  @IsArray()
  @Matches(SLUG, { each: true })
  categories?: string[];
}

class ExplainRuleDto {
  @ApiProperty({ example: 'caw-duo-follow-up' }) id!: string;
  @ApiPropertyOptional() description?: string;
  @ApiProperty({ example: 'policies/rules.yaml' }) file!: string;
  @ApiProperty({ example: 110 }) line!: number;
}

class ExplainWithheldDto {
  @ApiProperty({ example: 'health' }) category!: string;
  @ApiProperty({
    example:
      "rule caw-duo-follow-up would permit this with: the client's consent for this category, recipient and purpose",
  })
  reason!: string;
  @ApiProperty({ type: [String], description: 'What would be needed for this category to be permitted' })
  missing!: string[];
}

/** The answer: the decision, the rule that decided (file and line), what is permitted, and for a refusal what is missing. */
export class ExplainResultDto {
  @ApiProperty({ enum: ['permit', 'deny', 'pending'] }) decision!: 'permit' | 'deny' | 'pending';
  @ApiPropertyOptional({
    type: ExplainRuleDto,
    nullable: true,
    description: 'The deciding rule; null when no rule applies (refused by default)',
  })
  rule!: ExplainRuleDto | null;
  @ApiPropertyOptional({ nullable: true, type: String }) legalBasis!: string | null;
  @ApiProperty({ type: [String] }) permittedCategories!: string[];
  @ApiProperty({ type: [String] }) permittedFields!: string[];
  @ApiProperty({ type: [ExplainWithheldDto] }) withheld!: ExplainWithheldDto[];
  @ApiProperty({
    type: [String],
    description:
      'Everything missing for the withheld categories (no agreement, not in the circle, no consent, objection on file, …)',
  })
  missing!: string[];
  @ApiProperty({ example: 'sha256:…' }) policyVersion!: string;
  @ApiProperty({ description: 'The same, in one sentence' }) explanation!: string;
}
