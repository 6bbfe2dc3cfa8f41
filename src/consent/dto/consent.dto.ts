import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
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
import { PARTNER_TYPES } from '../../common/vocabulary/partner-types.js';

const SLUG = /^[a-z][a-z0-9-]{0,63}$/;

export class RecipientDto {
  @ApiPropertyOptional({ example: 'demo-caw' })
  @ValidateIf((r: RecipientDto) => r.partnerType === undefined)
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: 'partnerId or partnerType is required' })
  partnerId?: string;

  @ApiPropertyOptional({ enum: PARTNER_TYPES })
  @ValidateIf((r: RecipientDto) => r.partnerId === undefined)
  @IsIn(PARTNER_TYPES, { message: 'partnerId or partnerType is required' })
  partnerType?: string;
}

export class CourtOrderDto {
  @ApiProperty({ example: 'Vredegerecht Elsene, 2026/1234', description: 'The court and the order’s reference' })
  @IsString()
  @Length(3, 200)
  reference!: string;

  @ApiPropertyOptional({ format: 'date', example: '2026-03-15' })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'date must be a date (YYYY-MM-DD)' })
  date?: string;
}

export class GivenByDto {
  @ApiProperty({ enum: ['client', 'legal-representative'] }) @IsIn(['client', 'legal-representative']) kind!:
    'client' | 'legal-representative';

  @ApiPropertyOptional({ description: 'Required for a legal representative' })
  @ValidateIf((g: GivenByDto) => g.kind === 'legal-representative')
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({
    example: 'administrator-of-property',
    description:
      'Required for a legal representative: the capacity in which they act, from policies/representatives.yaml (administrator-of-property, administrator-of-the-person, confidant, parent-or-guardian, …); a consent outside it is refused (422)',
  })
  @ValidateIf((g: GivenByDto) => g.kind === 'legal-representative')
  @Matches(SLUG, {
    message: 'a legal representative needs a capacity from policies/representatives.yaml',
  })
  capacity?: string;

  @ApiPropertyOptional({
    type: CourtOrderDto,
    description:
      'The court order the representation rests on; required where the capacity says so (an administrator of the person consenting beyond property matters)',
  })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => CourtOrderDto)
  courtOrder?: CourtOrderDto;
}

export class EvidenceDto {
  @ApiPropertyOptional({ nullable: true, description: 'SHA-256 of the signed document' })
  @IsOptional()
  @Matches(/^[0-9a-f]{64}$/, { message: 'sha256 must be 64 lowercase hex characters' })
  sha256?: string | null;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) description?: string;
}

export class CreateConsentDto {
  @ApiProperty({ type: [String], example: ['duo-follow-up'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(12)
  @ArrayUnique()
  @Matches(SLUG, { each: true })
  purposes!: string[];

  @ApiProperty({ type: [RecipientDto] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => RecipientDto)
  recipients!: RecipientDto[];

  @ApiProperty({ type: [String], example: ['identity', 'contact', 'housing', 'social'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ArrayUnique()
  @Matches(SLUG, { each: true })
  categories!: string[];

  @ApiProperty({
    enum: ['permit', 'deny', 'informed-no-objection'],
    description:
      'deny = an explicit objection, which overrides any permit; informed-no-objection = the client was informed and did not object (counts only where the network policy accepts it)',
  })
  @IsIn(['permit', 'deny', 'informed-no-objection'])
  effect!: 'permit' | 'deny' | 'informed-no-objection';

  // ValidateNested alone lets a missing object through (the service then fails on it).
  @ApiProperty({ type: GivenByDto }) @IsObject() @ValidateNested() @Type(() => GivenByDto) givenBy!: GivenByDto;

  @ApiProperty({ enum: ['verbal', 'written', 'digital'] }) @IsIn(['verbal', 'written', 'digital']) method!:
    'verbal' | 'written' | 'digital';

  @ApiPropertyOptional({ type: EvidenceDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => EvidenceDto)
  evidence?: EvidenceDto;

  @ApiProperty({ format: 'date' }) @IsISO8601({ strict: true }) @Matches(/^\d{4}-\d{2}-\d{2}$/) validFrom!: string;

  @ApiPropertyOptional({ format: 'date' })
  @IsOptional()
  @IsISO8601({ strict: true })
  @Matches(/^\d{4}-\d{2}-\d{2}$/)
  validUntil?: string;
}

export class ClientIdParam {
  @ApiProperty({ format: 'uuid' })
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  clientId!: string;
}

export class ConsentListQuery {
  @ApiPropertyOptional({
    enum: ['fhir'],
    description:
      'fhir: FHIR R4 Consent resources, as one collection Bundle (application/fhir+json) or, with Accept: application/fhir+ndjson, one per line',
  })
  @IsOptional()
  @IsIn(['fhir'])
  format?: 'fhir';
}
