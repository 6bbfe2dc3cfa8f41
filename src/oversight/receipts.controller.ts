import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { Access, type AccessContext } from '../access/access-context.js';
import { Authorize } from '../access/decorators.js';
import { ReceiptsService } from './receipts.service.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_SIZE = Number.MAX_SAFE_INTEGER;

export class EntryIdParam {
  @ApiProperty({ format: 'uuid', description: 'The access-log entry id (the Schakel-Access-Entry response header)' })
  @Matches(UUID, { message: 'id must be a UUID' })
  id!: string;
}

export class ProofQuery {
  @ApiPropertyOptional({
    minimum: 1,
    description:
      'Prove inclusion in the signed tree of this size; default: the smallest signed tree that holds the entry',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SIZE)
  treeSize?: number;

  @ApiPropertyOptional({
    format: 'uuid',
    description:
      "With X-Purpose: subject-access: the client whose access report lists this entry (the holding team's receipts)",
  })
  @IsOptional()
  @Matches(UUID, { message: 'client must be a UUID' })
  client?: string;
}

export class ConsistencyQuery {
  @ApiProperty({ minimum: 1, description: 'Size of the earlier signed tree head' })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SIZE)
  first!: number;

  @ApiProperty({ minimum: 1, description: 'Size of the later signed tree head' })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_SIZE)
  second!: number;
}

const HASH = 'c0ffee'.padEnd(64, '0');
const JWS =
  'eyJhbGciOiJFZERTQSIsImtpZCI6Ii4uLiIsInR5cCI6InNjaGFrZWwtdHJlZS1oZWFkK2p3cyJ9.eyJ0cmVlU2l6ZSI6MTIwMH0.c2lnbmF0dXJl';
const PROOF_EXAMPLE = {
  leafIndex: 41,
  treeSize: 1200,
  leafHash: HASH,
  auditPath: [HASH, HASH],
  rootHash: HASH,
  treeHead: JWS,
};
const HEAD_EXAMPLE = {
  treeSize: 1200,
  rootHash: HASH,
  chainHash: HASH,
  signedAt: '2026-12-01T10:00:00.000Z',
  kid: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg',
  treeHead: JWS,
};

/**
 * Verifiable receipts (RFC 9162 transparency log over the access log): inclusion proofs,
 * receipts, signed tree heads and consistency proofs. Verify offline with `npm run log:verify`.
 */
@ApiTags('access-log')
@Controller('v1/access-log')
export class ReceiptsController {
  constructor(private readonly receipts: ReceiptsService) {}

  @Get('entries/:id/proof')
  @Authorize('read', 'AccessLogReceipt')
  @ApiOperation({
    summary:
      'Inclusion proof of an access-log entry in a signed Merkle tree head (RFC 9162; hashes hex, treeHead the signed JWS)',
  })
  @ApiOkResponse({ schema: { example: PROOF_EXAMPLE } })
  proof(@Access() access: AccessContext, @Param() params: EntryIdParam, @Query() query: ProofQuery) {
    return this.receipts.proof(access, params.id, query.treeSize, query.client);
  }

  @Get('entries/:id/receipt')
  @Authorize('read', 'AccessLogReceipt')
  @ApiOperation({
    summary:
      'Receipt of an access: the entry (as its hash covers it) with its inclusion proof and signed tree head; verify offline with npm run log:verify -- --receipt',
  })
  @ApiOkResponse({
    schema: {
      example: {
        entry: {
          id: '5b0c7d1e-8a44-4c56-9d0e-6a1f0f2b3c4d',
          occurredAt: '2026-12-01T09:59:58.120Z',
          partnerId: 'demo-caw',
          action: 'read',
          resourceType: 'Case',
          decision: 'permit',
          format: 2,
          entryHash: HASH,
        },
        proof: PROOF_EXAMPLE,
      },
    },
  })
  receipt(@Access() access: AccessContext, @Param() params: EntryIdParam, @Query() query: ProofQuery) {
    return this.receipts.receipt(access, params.id, query.treeSize, query.client);
  }

  @Get('tree-head')
  @Authorize('verify', 'AccessLogReceipt')
  @ApiOperation({
    summary:
      "The newest signed tree head of the access log's Merkle tree (size, root, chain hash, time; Ed25519 JWS, key at /.well-known/jwks.json), signed on demand when the tree grew",
  })
  @ApiOkResponse({ schema: { example: HEAD_EXAMPLE } })
  treeHead(@Access() access: AccessContext) {
    return this.receipts.treeHead(access);
  }

  @Get('consistency')
  @Authorize('verify', 'AccessLogReceipt')
  @ApiOperation({
    summary:
      'Consistency proof (RFC 9162) that the signed tree of size second extends the signed tree of size first: nothing before was removed, changed or reordered',
  })
  @ApiOkResponse({
    schema: { example: { first: { ...HEAD_EXAMPLE, treeSize: 800 }, second: HEAD_EXAMPLE, proof: [HASH, HASH] } },
  })
  consistency(@Access() access: AccessContext, @Query() query: ConsistencyQuery) {
    return this.receipts.consistency(access, query.first, query.second);
  }
}
