import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsEmail,
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
import { PHONE } from '../../common/http/person-fields.js';
import type { ClaimMapping } from '../claim-mapping.js';
import {
  PARTNER_STATUSES,
  PARTNER_TYPES,
  type Partner,
  type PartnerStatus,
  type PartnerType,
  type PrivacyContact,
  type PublicJwk,
} from '../partner.entity.js';
import type { Assertable } from '../../policies/policy-files.js';
import { ProgrammeId } from '../../policies/programme.js';

export class ClaimSourceDto {
  @ApiProperty({
    type: [String],
    example: ['realm_access', 'roles'],
    description:
      'The claim\'s path, one segment per level: ["roles"], ["realm_access", "roles"] (Keycloak realm roles), ["groups"], or ["extn.profession"] for a claim whose own name holds a dot',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(8)
  @IsString({ each: true })
  @Length(1, 200, { each: true })
  path!: string[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { '/dpo': 'privacy-officer', aanmelder: 'referrer' },
    description:
      "The IdP's names → the gateway's (roles.yaml). With a map only mapped names count and every other value of the claim is ignored; without one the IdP's names must be the gateway's own.",
  })
  @IsOptional()
  @IsObject()
  map?: Record<string, string>;
}

export class ClaimMappingDto {
  @ApiPropertyOptional({ type: ClaimSourceDto, description: 'Where roles come from; default ["roles"], unmapped' })
  @IsOptional()
  @ValidateNested()
  @Type(() => ClaimSourceDto)
  roles?: ClaimSourceDto;

  @ApiPropertyOptional({
    type: ClaimSourceDto,
    description: 'Where the profession comes from; default ["profession"], unmapped',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => ClaimSourceDto)
  profession?: ClaimSourceDto;
}

const CLAIM_MAPPING_DOC =
  "Where this partner's identity provider puts roles and profession, and how its names map to the gateway's. Absent or null: the contract's `roles` and `profession` claims, unmapped. A PATCH replaces the whole mapping.";

function ClaimMappingField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: ClaimMappingDto, nullable: true, description: CLAIM_MAPPING_DOC }),
    IsOptional(),
    ValidateNested(),
    Type(() => ClaimMappingDto),
  );
}

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
const VOCABULARY_ID = /^[a-z][a-z0-9-]{1,63}$/;

const ALLOWED_ROLES_DOC =
  "Narrows the roles this partner's tokens may carry below its type's row in policies/partner-trust.yaml (never wider: a role outside the row is refused). Absent or null: the type's row.";
const ALLOWED_PROFESSIONS_DOC =
  "Narrows the professions this partner's tokens may carry below its type's row in policies/partner-trust.yaml (never wider). Absent or null: the type's row.";

/** Shared by create and update: what the partner's identity provider may assert, narrowed. */
function AllowedRoles(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: [String],
      nullable: true,
      example: ['referrer', 'partner-system'],
      description: ALLOWED_ROLES_DOC,
    }),
    IsOptional(),
    IsArray(),
    ArrayMinSize(1, { message: 'allowedRoles must name at least one role (suspend a partner instead)' }),
    ArrayMaxSize(50),
    ArrayUnique(),
    Matches(VOCABULARY_ID, { each: true, message: 'each role must be a role id of policies/roles.yaml' }),
  );
}

function AllowedProfessions(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: [String],
      nullable: true,
      example: ['housing-officer'],
      description: ALLOWED_PROFESSIONS_DOC,
    }),
    IsOptional(),
    IsArray(),
    ArrayMaxSize(50),
    ArrayUnique(),
    Matches(VOCABULARY_ID, { each: true, message: 'each profession must be a profession of policies/roles.yaml' }),
  );
}

/** The gateway's client registration at a partner's IdP, for people signing in to the console. */
export class OidcRegistrationDto {
  @ApiPropertyOptional({
    example: 'https://login.woonhaven.example',
    description: "The IdP people sign in at (its discovery document is read from there); default: the partner's issuer",
  })
  @IsOptional()
  @IsUrl({ protocols: ['https', 'http'], require_tld: false, require_protocol: true })
  @MaxLength(500)
  issuer?: string;

  @ApiProperty({ example: 'schakel-console', description: "The gateway's client id at that IdP" })
  @IsString()
  @Length(1, 200)
  clientId!: string;

  @ApiPropertyOptional({
    example: 'a-long-random-secret',
    description:
      'For a confidential client (client_secret_basic): kept sealed, never shown again. Without it the console is a public client (PKCE only).',
  })
  @IsOptional()
  @IsString()
  @Length(1, 500)
  clientSecret?: string;
}

export class OidcRegistrationView {
  @ApiProperty() issuer!: string;
  @ApiProperty() clientId!: string;
  @ApiProperty({ description: 'Whether a client secret is registered (it is never shown)' }) clientSecretSet!: boolean;
}

const OIDC_DOC =
  "Sign-in for this partner's people at the console: OpenID Connect authorization code flow with PKCE at its IdP, redirect URI `<PUBLIC_URL>/console/auth/callback`, post-logout redirect URI `<PUBLIC_URL>/console`. null removes it.";

function OidcField() {
  return applyDecorators(
    ApiPropertyOptional({ type: OidcRegistrationDto, nullable: true, description: OIDC_DOC }),
    IsOptional(),
    ValidateNested(),
    Type(() => OidcRegistrationDto),
  );
}

export class ControllerContactDto {
  @ApiProperty({ example: 'Woonhaven cv' }) @IsString() @Length(2, 200) name!: string;
  @ApiProperty({ example: 'Kerkstraat 1, 2000 Antwerpen' }) @IsString() @Length(5, 300) address!: string;
  @ApiPropertyOptional({ example: 'info@woonhaven.example' }) @IsOptional() @IsEmail() @MaxLength(200) email?: string;
}

export class DpoContactDto {
  @ApiPropertyOptional({ example: 'An De Wilde' }) @IsOptional() @IsString() @Length(2, 200) name?: string;
  @ApiProperty({ example: 'dpo@woonhaven.example' }) @IsEmail() @MaxLength(200) email!: string;
  @ApiPropertyOptional({ example: '+3232000000' })
  @IsOptional()
  @Matches(PHONE, { message: 'phone must be a phone number' })
  phone?: string;
}

/** The controller and its DPO, as the record of processing names them (GDPR art. 30(1)(a)). */
export class PrivacyContactDto {
  @ApiProperty({ type: ControllerContactDto })
  @IsObject()
  @ValidateNested()
  @Type(() => ControllerContactDto)
  controller!: ControllerContactDto;

  @ApiProperty({ type: DpoContactDto })
  @IsObject()
  @ValidateNested()
  @Type(() => DpoContactDto)
  dpo!: DpoContactDto;
}

function PrivacyContactField(): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({
      type: PrivacyContactDto,
      nullable: true,
      description: 'The controller and its data protection officer, for the record of processing (art. 30(1)(a))',
    }),
    IsOptional(),
    IsObject(),
    ValidateNested(),
    Type(() => PrivacyContactDto),
  );
}

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

  @AllowedRoles()
  allowedRoles?: string[] | null;

  @AllowedProfessions()
  allowedProfessions?: string[] | null;

  @ClaimMappingField()
  claimMapping?: ClaimMappingDto | null;

  @OidcField()
  oidc?: OidcRegistrationDto | null;
  @PrivacyContactField()
  privacyContact?: PrivacyContactDto;
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

  @AllowedRoles()
  allowedRoles?: string[] | null;

  @AllowedProfessions()
  allowedProfessions?: string[] | null;

  @ClaimMappingField()
  claimMapping?: ClaimMappingDto | null;

  @OidcField()
  oidc?: OidcRegistrationDto | null;
  @PrivacyContactField()
  privacyContact?: PrivacyContactDto;
}

export class AssertableView {
  @ApiProperty({ type: [String], description: 'Roles its tokens may carry' }) roles!: string[];
  @ApiProperty({ type: [String], description: 'Professions its tokens may carry' }) professions!: string[];
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
  @ApiProperty({ type: [String], nullable: true, description: `${ALLOWED_ROLES_DOC} As registered.` })
  allowedRoles!: string[] | null;
  @ApiProperty({ type: [String], nullable: true, description: `${ALLOWED_PROFESSIONS_DOC} As registered.` })
  allowedProfessions!: string[] | null;
  @ApiProperty({
    type: AssertableView,
    description:
      "What this partner's tokens may carry today: its type's row in policies/partner-trust.yaml (the operator's entry for the operator), narrowed by allowedRoles / allowedProfessions. Anything else is refused at authentication.",
  })
  mayAssert!: AssertableView;
  @ApiProperty({ type: ClaimMappingDto, nullable: true, description: CLAIM_MAPPING_DOC })
  claimMapping!: ClaimMapping | null;
  @ApiProperty({ type: OidcRegistrationView, nullable: true, description: OIDC_DOC })
  oidc!: OidcRegistrationView | null;
  @ApiProperty({ type: PrivacyContactDto, nullable: true }) privacyContact!: PrivacyContact | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;

  static of(partner: Partner, mayAssert: Assertable): PartnerView {
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
      allowedRoles: partner.allowedRoles ?? null,
      allowedProfessions: partner.allowedProfessions ?? null,
      mayAssert,
      claimMapping: partner.claimMapping ?? null,
      oidc: partner.oidcClientId
        ? {
            issuer: partner.oidcIssuer ?? partner.issuer,
            clientId: partner.oidcClientId,
            clientSecretSet: partner.oidcClientSecret !== null && partner.oidcClientSecret !== undefined,
          }
        : null,
      privacyContact: partner.privacyContact ?? null,
      createdAt: partner.createdAt.toISOString(),
      updatedAt: partner.updatedAt.toISOString(),
    };
  }
}

export class PartnerPage {
  @ApiProperty({ type: [PartnerView] }) items!: PartnerView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
