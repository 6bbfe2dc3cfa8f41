import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
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

export class IdentityAddressDto {
  @ApiPropertyOptional({ example: 'Kerkstraat' }) @IsOptional() @IsString() @MaxLength(200) street?: string;
  @ApiPropertyOptional({ example: '12' }) @IsOptional() @IsString() @MaxLength(20) number?: string;
  @ApiPropertyOptional({ nullable: true }) @IsOptional() @IsString() @MaxLength(20) box?: string | null;
  @ApiPropertyOptional({ example: '1050' })
  @IsOptional()
  @Matches(/^\d{4}$/, { message: 'postalCode must be a 4-digit Belgian postal code' })
  postalCode?: string;
  @ApiPropertyOptional({ example: 'Elsene' }) @IsOptional() @IsString() @MaxLength(100) municipality?: string;
}

/**
 * `PATCH /v1/clients/:id/identity`: only the fields given change; `null` clears one (an address
 * lost after an eviction). At least one field, and a reason (art. 16: the rectification is documented).
 */
export class UpdateClientIdentityDto {
  @ApiPropertyOptional({ example: 'Anna', nullable: true })
  @IsOptional()
  @ValidateIf((_d, v) => v !== null)
  @IsString()
  @Length(1, 100)
  givenName?: string | null;

  @ApiPropertyOptional({ example: 'Peeters', nullable: true })
  @IsOptional()
  @ValidateIf((_d, v) => v !== null)
  @IsString()
  @Length(1, 100)
  familyName?: string | null;

  @ApiPropertyOptional({ format: 'date', example: '1985-07-30', nullable: true })
  @IsOptional()
  @ValidateIf((_d, v) => v !== null)
  @IsISO8601({ strict: true })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'birthDate must be a date (YYYY-MM-DD)' })
  birthDate?: string | null;

  @ApiPropertyOptional({
    example: '85073003328',
    nullable: true,
    description: 'Papers found: checked, sealed, blind-indexed',
  })
  @IsOptional()
  @IsNationalNumber({ nullable: true })
  nationalNumber?: string | null;

  @ApiPropertyOptional({ example: 'nl', nullable: true })
  @IsOptional()
  @ValidateIf((_d, v) => v !== null)
  @Matches(/^[a-z]{2,3}$/, { message: 'language must be an ISO 639 code such as nl, fr, ar' })
  language?: string | null;

  @ApiPropertyOptional({ example: '+32470123456', nullable: true })
  @IsOptional()
  @ValidateIf((_d, v) => v !== null)
  @Matches(PHONE, { message: 'phone must be a phone number' })
  phone?: string | null;

  @ApiPropertyOptional({ example: 'anna@example.org', nullable: true })
  @IsOptional()
  @ValidateIf((_d, v) => v !== null)
  @IsEmail()
  @MaxLength(200)
  email?: string | null;

  @ApiPropertyOptional({
    type: IdentityAddressDto,
    nullable: true,
    description: 'null: no address (e.g. after an eviction)',
  })
  @IsOptional()
  @ValidateIf((_d, v) => v !== null)
  @IsObject()
  @ValidateNested()
  @Type(() => IdentityAddressDto)
  address?: IdentityAddressDto | null;

  @ApiProperty({ example: 'New phone number given by the client during a home visit', minLength: 5 })
  @IsString()
  @Length(5, 500)
  reason!: string;
}

export class ClientExportQuery {
  @ApiPropertyOptional({ enum: ['json', 'fhir'], default: 'json', description: 'fhir: a FHIR R4 Bundle (collection)' })
  @IsOptional()
  @IsIn(['json', 'fhir'])
  format?: 'json' | 'fhir';
}

/** `POST /v1/clients/:id/erasure`: the client's documented request (GDPR art. 17). */
export class ErasureRequestDto {
  @ApiProperty({ example: 'The client asked in writing to erase their data after the follow-up ended', minLength: 5 })
  @IsString()
  @Length(5, 500)
  reason!: string;

  @ApiProperty({ format: 'date', example: '2026-11-28', description: 'When the request was received' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'requestReceivedOn must be a date (YYYY-MM-DD)' })
  @IsISO8601({ strict: true })
  requestReceivedOn!: string;

  @ApiPropertyOptional({ example: 'AVG-2026-014', description: 'Your reference for the request (no personal data)' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9 ._/:#-]{0,99}$/, { message: 'reference must be a file reference' })
  reference?: string;
}
