import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsEmail,
  IsIn,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { IsNationalNumber, PHONE } from '../../common/http/person-fields.js';
import { PageQuery } from '../../common/http/pagination.js';
import { EVICTION_STAGES } from '../../common/vocabulary/eviction-stages.js';
import { REFERRAL_STATUSES, REFERRER_KINDS, type ReferralStatus, type ReferrerKind } from '../referral.entity.js';

export const SIGNALS = [
  'neglect-of-dwelling',
  'hoarding',
  'administration-in-disorder',
  'rent-arrears',
  'debts',
  'landlord-conflict',
  'nuisance',
  'withdrawal',
  'addiction',
  'aggression',
  'psychological-problems',
  'physical-complaints',
  'cognitive-impairment',
] as const;
/** Signals that are health data (art. 9): kept apart from the housing signals, in the health category. */
export const CLINICAL_SIGNALS: readonly string[] = [
  'addiction',
  'psychological-problems',
  'physical-complaints',
  'cognitive-impairment',
];
export { EVICTION_STAGES };
export const TENANT_INFORMED = ['yes', 'no', 'refused'] as const;

export class AddressDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) street?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(20) number?: string;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @MaxLength(20) box?: string | null;
  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^\d{4}$/, { message: 'postalCode must be a 4-digit Belgian postal code' })
  postalCode?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) municipality?: string;
}

export class TenantDto {
  @ApiPropertyOptional({
    example: 'Anna',
    description: 'givenName or familyName is required; partial identities are normal',
  })
  @ValidateIf((t: TenantDto) => t.givenName !== undefined || t.familyName === undefined)
  @IsString()
  @Length(1, 100)
  givenName?: string;

  @ApiPropertyOptional({ example: 'Peeters' })
  @ValidateIf((t: TenantDto) => t.familyName !== undefined || t.givenName === undefined)
  @IsString()
  @Length(1, 100)
  familyName?: string;

  @ApiPropertyOptional({ format: 'date', example: '1985-07-30' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'birthDate must be a date (YYYY-MM-DD)' })
  birthDate?: string;

  @ApiPropertyOptional({ example: '85073003328' })
  @IsOptional()
  @IsString()
  @IsNationalNumber()
  nationalNumber?: string;

  @ApiPropertyOptional({ example: 'nl' })
  @IsOptional()
  @Matches(/^[a-z]{2,3}$/, { message: 'language must be an ISO 639 code such as nl, fr, ar' })
  language?: string;

  @ApiPropertyOptional({ example: '+3225550100' })
  @IsOptional()
  @Matches(PHONE, { message: 'phone must be a phone number' })
  phone?: string;

  @ApiPropertyOptional({ type: AddressDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => AddressDto)
  address?: AddressDto;
}

export class ReferrerContactDto {
  @ApiProperty({ example: 'Els Janssens' }) @IsString() @Length(1, 200) name!: string;
  @ApiPropertyOptional() @IsOptional() @Matches(PHONE, { message: 'phone must be a phone number' }) phone?: string;
  @ApiPropertyOptional() @IsOptional() @IsEmail() @MaxLength(200) email?: string;
}

export class CreateReferralDto {
  @ApiProperty({ example: 'demo-outreach' })
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'targetPartnerId must be a partner id' })
  targetPartnerId!: string;

  @ApiProperty({ type: TenantDto })
  // ValidateNested alone lets a missing object through (the service then fails on it).
  @IsObject()
  @ValidateNested()
  @Type(() => TenantDto)
  tenant!: TenantDto;

  @ApiProperty({
    enum: SIGNALS,
    isArray: true,
    example: ['neglect-of-dwelling', 'withdrawal'],
    description:
      'What was observed. addiction, psychological-problems, physical-complaints and cognitive-impairment are health data: stored apart, shown to the receiving team only (as healthSignals), never back to the referrer',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SIGNALS.length)
  @ArrayUnique()
  @IsIn(SIGNALS, { each: true })
  signals!: string[];

  @ApiPropertyOptional({ maxLength: 4000 })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  description?: string;

  @ApiProperty({ enum: EVICTION_STAGES })
  @IsIn(EVICTION_STAGES)
  evictionStage!: (typeof EVICTION_STAGES)[number];

  @ApiProperty({
    enum: TENANT_INFORMED,
    description: 'Whether the tenant knows of this referral; the network policy decides what is accepted otherwise',
  })
  @IsIn(TENANT_INFORMED)
  tenantInformed!: (typeof TENANT_INFORMED)[number];

  @ApiPropertyOptional({ maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  tenantInformedNote?: string;

  @ApiPropertyOptional({ enum: ['normal', 'high'], default: 'normal' })
  @IsOptional()
  @IsIn(['normal', 'high'])
  urgency?: 'normal' | 'high';

  @ApiPropertyOptional({
    example: 'WH-2026-0412',
    description:
      'Your own reference for this referral (your file number), shown back to you and filterable; never a name or national number',
  })
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ._/:#-]{0,99}$/, {
    message: 'externalReference must be a file number (letters, digits, space and ._/:#-, at most 100)',
  })
  externalReference?: string;

  @ApiPropertyOptional({
    enum: REFERRER_KINDS,
    default: 'organisation',
    example: 'organisation',
    description:
      'organisation: your organisation refers. self | family | other-person: a person without an organisation referred and your team (the target) registers it on their behalf; nothing flows back to that person through the gateway',
  })
  @IsOptional()
  @IsIn(REFERRER_KINDS)
  referrerKind?: ReferrerKind;

  @ApiProperty({
    type: ReferrerContactDto,
    description: 'The contact person for this referral (optional for a self-referral: the tenant is the contact)',
  })
  @ValidateIf((d: CreateReferralDto) => d.referrerKind !== 'self' || d.contact !== undefined)
  @IsObject()
  @ValidateNested()
  @Type(() => ReferrerContactDto)
  contact?: ReferrerContactDto;
}

export class ReferralDecisionDto {
  @ApiProperty({ enum: ['accept', 'redirect', 'decline'], example: 'redirect' })
  @IsIn(['accept', 'redirect', 'decline'])
  decision!: 'accept' | 'redirect' | 'decline';

  @ApiPropertyOptional({
    example: 'demo-caw',
    description:
      'redirect: the registered partner advised instead (the referrer sees its id and name); give this or redirectTo',
  })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'redirectToPartnerId must be a partner id' })
  redirectToPartnerId?: string;

  @ApiPropertyOptional({
    example: 'CAW Brussel, preventieve woonbegeleiding',
    description:
      'redirect: the better-placed service by name, when it is not a registered partner (a service, not a person; the referrer reads it)',
  })
  @ValidateIf(
    (d: ReferralDecisionDto) =>
      d.redirectTo !== undefined || (d.decision === 'redirect' && d.redirectToPartnerId === undefined),
  )
  @IsString()
  @Length(1, 300)
  redirectTo?: string;

  @ApiPropertyOptional({
    example: 'outside-area',
    description:
      'Required for decline, optional for redirect: a reason code from policies/referral-reasons.yaml (GET /v1/referrals/reasons); the referrer reads its label, never free text',
  })
  @ValidateIf((d: ReferralDecisionDto) => d.decision === 'decline' || d.reasonCode !== undefined)
  @Matches(/^[a-z][a-z0-9-]{1,63}$/, { message: 'reasonCode must be a reason code of the network policy' })
  reasonCode?: string;

  @ApiPropertyOptional({
    description:
      "The team's own note on the decision: stored sealed, shown to the receiving team only, never to the referrer",
  })
  @IsOptional()
  @IsString()
  @Length(1, 2000)
  reason?: string;
}

export class ReferralListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: REFERRAL_STATUSES, example: 'redirected' })
  @IsOptional()
  @IsIn(REFERRAL_STATUSES)
  status?: ReferralStatus;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-11-01', description: 'Referred at or after' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', example: '2026-12-01', description: 'Referred before' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ example: 'WH-2026-0412', description: 'The externalReference given when referring (exact)' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  reference?: string;
}
