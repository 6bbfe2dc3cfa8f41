import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import {
  PARTNER_STATUSES,
  PARTNER_TYPES,
  type Partner,
  type PartnerStatus,
  type PartnerType,
  type PublicJwk,
} from '../partner.entity.js';
import { ProgrammeId } from '../../policies/programme.js';

export class JwkSetDto {
  @ApiProperty({
    type: 'array',
    items: { type: 'object' },
    description: 'Public JWKs (each with kid and alg); private parts are refused',
  })
  @IsArray()
  @ArrayMaxSize(20)
  @IsObject({ each: true })
  keys!: PublicJwk[];
}

const SLUG = /^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/;
const POSTAL_CODE = /^\d{4}$/;

export class CreatePartnerDto {
  @ApiProperty({ example: 'shm-woonhaven', description: 'Slug: lowercase letters, digits and dashes' })
  @IsString()
  @Matches(SLUG, { message: 'id must be a slug of 3 to 64 lowercase letters, digits and dashes' })
  id!: string;

  @ApiProperty({ example: 'Woonhaven' })
  @IsString()
  @Length(1, 200)
  name!: string;

  @ApiProperty({ enum: PARTNER_TYPES })
  @IsIn(PARTNER_TYPES)
  type!: PartnerType;

  @ApiProperty({ type: [String], example: ['2000'], description: 'Belgian postal codes served' })
  @IsArray()
  @ArrayMaxSize(300)
  @Matches(POSTAL_CODE, { each: true, message: 'municipalities must be 4-digit postal codes' })
  municipalities!: string[];

  @ApiProperty({ example: 'https://idp.woonhaven.example' })
  @IsString()
  @MaxLength(500)
  issuer!: string;

  @ApiPropertyOptional({ type: JwkSetDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => JwkSetDto)
  jwks?: JwkSetDto;

  @ProgrammeId('The care programme the team runs: one of `programmes` in policies/network.yaml')
  programme?: string;

  @ApiPropertyOptional({ description: 'Where signed notifications are posted (https in production)' })
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  @MaxLength(1000)
  webhookUrl?: string;

  @ApiPropertyOptional({ example: 'https://idp.woonhaven.example/.well-known/jwks.json' })
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  @MaxLength(1000)
  jwksUri?: string;
}

export class UpdatePartnerDto {
  @ProgrammeId('The care programme the team runs: one of `programmes` in policies/network.yaml')
  programme?: string;

  @ApiPropertyOptional({ description: 'Where signed notifications are posted (https in production)' })
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  @MaxLength(1000)
  webhookUrl?: string;

  @ApiPropertyOptional({ enum: PARTNER_STATUSES, description: '"suspended" refuses the partner\'s tokens at once' })
  @IsOptional()
  @IsIn(PARTNER_STATUSES)
  status?: PartnerStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 200)
  name?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(300)
  @Matches(POSTAL_CODE, { each: true, message: 'municipalities must be 4-digit postal codes' })
  municipalities?: string[];

  @ApiPropertyOptional({ type: JwkSetDto, description: 'Replaces the key set: key rotation' })
  @IsOptional()
  @ValidateNested()
  @Type(() => JwkSetDto)
  jwks?: JwkSetDto;

  @ApiPropertyOptional()
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  @MaxLength(1000)
  jwksUri?: string;
}

export class PartnerView {
  @ApiProperty() id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: PARTNER_TYPES }) type!: PartnerType;
  @ApiProperty({ type: [String] }) municipalities!: string[];
  @ApiProperty() issuer!: string;
  @ApiPropertyOptional({ type: JwkSetDto, nullable: true }) jwks!: { keys: PublicJwk[] } | null;
  @ApiPropertyOptional({ nullable: true }) jwksUri!: string | null;
  @ApiProperty({ enum: PARTNER_STATUSES }) status!: PartnerStatus;
  @ApiProperty({
    description:
      "The network operator: the only partner whose tokens may carry network-wide powers (set by the operator's command line, never through the API)",
  })
  operator!: boolean;
  @ApiPropertyOptional({ nullable: true }) webhookUrl!: string | null;
  @ApiPropertyOptional({ nullable: true }) programme!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static of(partner: Partner): PartnerView {
    return {
      id: partner.id,
      name: partner.name,
      type: partner.type,
      municipalities: partner.municipalities,
      issuer: partner.issuer,
      jwks: partner.jwks,
      jwksUri: partner.jwksUri,
      status: partner.status,
      operator: partner.operator,
      webhookUrl: partner.webhookUrl ?? null,
      programme: partner.programme ?? null,
      createdAt: partner.createdAt.toISOString(),
      updatedAt: partner.updatedAt.toISOString(),
    };
  }
}

export class PartnerPage {
  @ApiProperty({ type: [PartnerView] }) items!: PartnerView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
