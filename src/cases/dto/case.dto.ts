import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  ValidateIf,
  IsBoolean,
  ValidateNested,
} from 'class-validator';
import { PageQuery } from '../../common/http/pagination.js';
import { CASE_STATUSES, CONTACT_CHANNELS, CONTACT_OUTCOMES, END_REASONS } from '../case.entity.js';

export const LIFE_DOMAINS = [
  'housing',
  'finances',
  'administration',
  'health',
  'psychological-wellbeing',
  'social-contacts',
  'daily-activity',
] as const;

export class TransitionDto {
  @ApiProperty({ enum: CASE_STATUSES }) @IsIn(CASE_STATUSES) to!: string;
  @ApiPropertyOptional({ maxLength: 2000 }) @IsOptional() @IsString() @MaxLength(2000) reason?: string;
  @ApiPropertyOptional({ enum: END_REASONS, description: 'Required when closing' })
  @ValidateIf((t: TransitionDto) => t.to === 'closed' || t.endReason !== undefined)
  @IsIn(END_REASONS)
  endReason?: string;
}

export class ContactAttemptDto {
  @ApiProperty({ format: 'date-time' }) @IsISO8601({ strict: true }) at!: string;
  @ApiProperty({ enum: CONTACT_CHANNELS }) @IsIn(CONTACT_CHANNELS) channel!: string;
  @ApiProperty({ enum: CONTACT_OUTCOMES }) @IsIn(CONTACT_OUTCOMES) outcome!: string;

  @ApiPropertyOptional({
    example: true,
    description:
      "Required for channel via-network: whether the client knows the team asks their network. Without the client's knowledge it is refused (422) unless the network switch contactViaNetworkWithoutKnowledge allows it",
  })
  @ValidateIf((a: ContactAttemptDto) => a.channel === 'via-network' || a.clientKnows !== undefined)
  @IsBoolean({ message: 'clientKnows must be true or false (required for via-network)' })
  clientKnows?: boolean;
}

export class DomainPlanDto {
  @ApiProperty({ enum: LIFE_DOMAINS }) @IsIn(LIFE_DOMAINS) domain!: string;
  @ApiProperty({ type: [String] })
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(1000, { each: true })
  goals!: string[];
  @ApiProperty({ type: [String] })
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(1000, { each: true })
  interventions!: string[];
}

export class CarePlanDto {
  @ApiProperty({ type: [DomainPlanDto] })
  @IsArray()
  @ArrayMaxSize(LIFE_DOMAINS.length)
  @ValidateNested({ each: true })
  @Type(() => DomainPlanDto)
  domains!: DomainPlanDto[];
  @ApiPropertyOptional({ description: 'What to do in a crisis, who to call' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  crisisPlan?: string;
  @ApiPropertyOptional({ type: [String], example: ['aggression-risk'], description: 'For staff on home visits' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @ArrayUnique()
  @IsIn(['aggression-risk', 'weapons', 'animals', 'infection-risk', 'fire-risk', 'visit-in-pairs'], { each: true })
  safetyFlags?: string[];
}

export class CircleMemberDto {
  @ApiProperty({ example: 'demo-caw' }) @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/) partnerId!: string;
  @ApiProperty({ type: [String], example: ['duo-follow-up'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(12)
  @ArrayUnique()
  @Matches(/^[a-z][a-z0-9-]{0,63}$/, { each: true })
  purposes!: string[];

  @ApiPropertyOptional({
    example: 'general-practitioner',
    description:
      'The profession of who follows the client at this partner (roles.yaml): one its type may assert, and bound by professional secrecy when the purposes would open special-category data',
  })
  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]{0,63}$/, { message: 'profession must be a profession of the network policy' })
  profession?: string;
}

export class CaseListQuery extends PageQuery {}

export class CaseIdParam {
  @ApiProperty({ format: 'uuid' })
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  id!: string;
}

export class CircleMemberParams extends CaseIdParam {
  @ApiProperty({ format: 'uuid' })
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  memberId!: string;
}

export class CaseNoteDto {
  @ApiProperty({
    example: 'housing',
    description: 'The data category the note belongs to; it is shown only where that category is permitted',
  })
  @IsIn([
    'identity',
    'contact',
    'housing',
    'social',
    'health',
    'care-plan',
    'crisis-plan',
    'safety',
    'case-status',
    'narrative',
  ])
  category!: string;

  @ApiProperty({ maxLength: 4000 })
  @IsString()
  @MaxLength(4000)
  @Matches(/\S/, { message: 'text must not be empty' })
  text!: string;
}

export class EmergencyAccessDto {
  @ApiProperty({ minLength: 30, example: 'Client in acute psychosis at home, crisis plan needed now' })
  @IsString()
  @Matches(/^[\s\S]{30,2000}$/, { message: 'justification must be a written explanation of 30 to 2000 characters' })
  justification!: string;
}

export class HandoverDto {
  @ApiProperty({ example: 'demo-gp' })
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'toPartnerId must be a partner id' })
  toPartnerId!: string;
}
