import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
} from 'class-validator';
import { PageQuery } from '../../common/http/pagination.js';
import type { AgreementWithParties } from './agreements.repository.js';

export class CreateAgreementDto {
  @ApiProperty({ example: 'Samenwerkingsovereenkomst aanklampende zorg Elsene 2026' })
  @IsString()
  @Length(1, 300)
  title!: string;

  @ApiProperty({ type: [String], example: ['demo-housing', 'demo-outreach'], minItems: 2 })
  @IsArray()
  @ArrayMinSize(2)
  @ArrayMaxSize(50)
  @ArrayUnique()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/, { each: true, message: 'partnerIds must be partner slugs' })
  partnerIds!: string[];

  @ApiProperty({ type: [String], example: ['referral'], description: 'Purpose ids from policies/purposes.yaml' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @ArrayUnique()
  @IsString({ each: true })
  purposes!: string[];

  @ApiProperty({ example: '2026-01-01', format: 'date' })
  @IsISO8601({ strict: true, strictSeparator: true })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'validFrom must be a date (YYYY-MM-DD)' })
  validFrom!: string;

  @ApiPropertyOptional({ example: '2027-12-31', format: 'date', nullable: true })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'validUntil must be a date (YYYY-MM-DD)' })
  validUntil?: string;

  @ApiPropertyOptional({ description: 'Reference to the signed agreement (file number or SHA-256), not its content' })
  @IsOptional()
  @IsString()
  @MaxLength(300)
  documentReference?: string;
}

export class AgreementQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only agreements this partner is party to' })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/)
  partner?: string;
}

export class AgreementView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ type: [String] }) partnerIds!: string[];
  @ApiProperty({ type: [String] }) purposes!: string[];
  @ApiProperty({ format: 'date' }) validFrom!: string;
  @ApiPropertyOptional({ format: 'date', nullable: true }) validUntil!: string | null;
  @ApiPropertyOptional({ nullable: true }) documentReference!: string | null;
  @ApiProperty({ enum: ['active', 'suspended', 'ended'], description: 'Only an active agreement is in force' })
  status!: 'active' | 'suspended' | 'ended';
  @ApiProperty({ description: 'Whether the agreement is in force today' }) inForce!: boolean;
  @ApiProperty() createdAt!: string;

  static of({ agreement, partyIds }: AgreementWithParties, today: string): AgreementView {
    return {
      id: agreement.id,
      title: agreement.title,
      partnerIds: partyIds,
      purposes: agreement.purposes,
      validFrom: agreement.validFrom,
      validUntil: agreement.validUntil,
      documentReference: agreement.documentReference,
      status: agreement.status,
      inForce:
        agreement.status === 'active' &&
        agreement.validFrom <= today &&
        (agreement.validUntil === null || agreement.validUntil >= today),
      createdAt: agreement.createdAt.toISOString(),
    };
  }
}

/**
 * `PATCH /v1/agreements/:id`: suspend (exchanges pause from now), reactivate a suspended one, or
 * end it — at once (from today nothing moves) or on a later date (`validUntil`: the last day).
 */
export class UpdateAgreementDto {
  @ApiProperty({ enum: ['active', 'suspended', 'ended'], example: 'ended' })
  @IsIn(['active', 'suspended', 'ended'])
  status!: 'active' | 'suspended' | 'ended';

  @ApiPropertyOptional({
    format: 'date',
    example: '2026-12-31',
    description: 'ended: the last day it is in force (default: yesterday, so nothing moves from today)',
  })
  @IsOptional()
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'validUntil must be a date (YYYY-MM-DD)' })
  @IsISO8601({ strict: true })
  validUntil?: string;

  @ApiProperty({ example: 'Samenwerking stopgezet door de stuurgroep', minLength: 5 })
  @IsString()
  @Length(5, 500)
  reason!: string;
}

export class AgreementPage {
  @ApiProperty({ type: [AgreementView] }) items!: AgreementView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
