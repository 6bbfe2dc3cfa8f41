import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '../../common/http/pagination.js';
import { ACCESS_DECISIONS, type AccessLogEntry } from '../../access-log/access-log.service.js';

export class AccessLogQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Internal client id; matched through its pseudonym' })
  @IsOptional()
  // A client id is a UUID: anything else reached the database as one and answered 500.
  @Matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
    message: 'client must be a client id (UUID)',
  })
  client?: string;

  @ApiPropertyOptional({ description: 'Partner that made the access' })
  @IsOptional()
  @Matches(/^[a-z0-9][a-z0-9-]{0,63}$/)
  partner?: string;

  @ApiPropertyOptional({ description: 'User (token sub)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  user?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Matches(/^[a-z][a-z0-9-]{0,63}$/)
  purpose?: string;

  @ApiPropertyOptional({ enum: ACCESS_DECISIONS })
  @IsOptional()
  @IsIn(ACCESS_DECISIONS)
  decision?: string;

  @ApiPropertyOptional({ example: 'Case', description: 'Kind of record accessed (Case, Referral, Disclosure, …)' })
  @IsOptional()
  @Matches(/^[A-Z][A-Za-z]{0,63}$/, { message: 'resourceType must be a record kind such as Case' })
  resourceType?: string;

  @ApiPropertyOptional({ example: '6f1c2d3e-0000-4000-8000-000000000001', description: 'The record accessed (its id)' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/, { message: 'resourceId must be a record id' })
  resourceId?: string;

  @ApiPropertyOptional({ enum: ['true', 'false'], description: 'Only break-the-glass accesses (true) or only others' })
  @IsOptional()
  @IsIn(['true', 'false'])
  override?: 'true' | 'false';

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional()
  @IsISO8601()
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Exclusive' })
  @IsOptional()
  @IsISO8601()
  to?: string;
}

export class ExportQuery extends AccessLogQuery {
  @ApiProperty({
    enum: ['ndjson', 'csv', 'fhir'],
    description:
      'fhir: FHIR R4 AuditEvents, as NDJSON (application/fhir+ndjson) or, with Accept: application/fhir+json, one collection Bundle',
  })
  @IsIn(['ndjson', 'csv', 'fhir'])
  format!: 'ndjson' | 'csv' | 'fhir';
}

export class ChainLinkView {
  @ApiProperty() position!: string;
  @ApiProperty() prevHash!: string;
  @ApiProperty() hash!: string;
}

export class AccessLogEntryView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() occurredAt!: string;
  @ApiProperty() requestId!: string;
  @ApiProperty() partnerId!: string;
  @ApiProperty() userSub!: string;
  @ApiProperty({ type: [String] }) roles!: string[];
  @ApiPropertyOptional({ nullable: true }) profession!: string | null;
  @ApiProperty() action!: string;
  @ApiProperty() resourceType!: string;
  @ApiPropertyOptional({ nullable: true }) resourceId!: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'Pseudonym of the client, never a name' }) clientRef!:
    string | null;
  @ApiPropertyOptional({ nullable: true }) custodianPartnerId!: string | null;
  @ApiProperty() purpose!: string;
  @ApiPropertyOptional({ nullable: true, description: 'Same as ground (kept for integrators of format 1)' })
  legalBasis!: string | null;
  @ApiPropertyOptional({ nullable: true, description: 'The first of consentIds (kept for integrators of format 1)' })
  consentId!: string | null;
  @ApiProperty({ enum: ACCESS_DECISIONS }) decision!: string;
  @ApiProperty({ description: 'Why: the deciding rule or the refusal reason' }) reason!: string;
  @ApiPropertyOptional({ nullable: true }) ruleId!: string | null;
  @ApiProperty({ type: [String], description: 'Disclosure manifest: names of the fields disclosed or written' })
  fields!: string[];
  @ApiPropertyOptional({ nullable: true, description: 'Disclosure manifest: SHA-256 over the disclosed values' })
  disclosureSha256!: string | null;
  @ApiProperty({ description: 'Break-the-glass access' }) override!: boolean;
  @ApiProperty() policyVersion!: string;
  @ApiProperty() entryHash!: string;
  @ApiPropertyOptional({
    type: ChainLinkView,
    nullable: true,
    description: 'Null until the chainer has linked it (usually within a second)',
  })
  link!: ChainLinkView | null;

  @ApiProperty({
    description: 'Entry format: 1 (original) or 2 (also hashes every consent, agreement, ground, categories, grant)',
  })
  format!: number;
  @ApiProperty({
    type: [String],
    description: 'Every consent the decision relied on (empty when no rule required consent)',
  })
  consentIds!: string[];
  @ApiPropertyOptional({ nullable: true, description: 'The cooperation agreement the decision relied on' })
  agreementId!: string | null;
  @ApiPropertyOptional({
    nullable: true,
    description: 'The one legal ground relied on, as the deciding rules state it',
  })
  ground!: string | null;
  @ApiProperty({ type: [String], description: 'The data categories disclosed or written' })
  categories!: string[];
  @ApiPropertyOptional({ nullable: true, description: 'The break-the-glass grant the access was made under' })
  grantId!: string | null;

  static of(entry: AccessLogEntry & { link: ChainLinkView | null }): AccessLogEntryView {
    const { seq: _seq, ...rest } = entry;
    // A format-1 entry names its one consent and basis in the old columns: shown in the new fields too.
    const v1 = (entry.format ?? 1) === 1;
    return {
      ...rest,
      occurredAt: new Date(entry.occurredAt).toISOString(),
      consentIds: v1 ? (entry.consentId ? [entry.consentId] : []) : entry.consentIds,
      ground: v1 ? entry.legalBasis : entry.ground,
      legalBasis: v1 ? entry.legalBasis : entry.ground,
      consentId: v1 ? entry.consentId : (entry.consentIds[0] ?? null),
    };
  }
}

export class AccessLogPage {
  @ApiProperty({ type: [AccessLogEntryView] }) items!: AccessLogEntryView[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
