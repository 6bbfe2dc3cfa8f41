import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import type { AccessContext } from '../access/access-context.js';
import { Access } from '../access/access-context.js';
import { Authorize, IdempotentWrite } from '../access/decorators.js';
import { UuidParam } from '../common/http/params.js';
import { ClientsService } from './clients.service.js';
import { ClientExportQuery, ErasureRequestDto, UpdateClientIdentityDto } from './dto/client-identity.dto.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class MergeDto {
  @ApiProperty({
    format: 'uuid',
    description: 'The record that turns out to be the same person; it is merged into the one in the path',
  })
  @Matches(UUID, { message: 'duplicateId must be a UUID' })
  duplicateId!: string;
}

@ApiTags('clients')
@Controller('v1/clients')
export class ClientsController {
  constructor(private readonly clients: ClientsService) {}

  @Post(':id/merges')
  @HttpCode(201)
  @Authorize('merge', 'Client')
  @IdempotentWrite()
  @ApiOperation({
    summary: 'Merge a duplicate record of the same person into this one (coordinator; logged; reversible)',
  })
  merge(@Access() access: AccessContext, @Param() params: UuidParam, @Body() body: MergeDto) {
    return this.clients.merge(access, params.id, body.duplicateId);
  }

  @Patch(':id/identity')
  @HttpCode(200)
  @Authorize('update', 'ClientIdentity')
  @IdempotentWrite()
  @ApiOperation({
    summary:
      "Rectify the client's identity and contact (GDPR art. 16) — the team that holds the client; only the fields given change, null clears one; logged with the fields written",
  })
  @ApiOkResponse({
    content: {
      'application/json': {
        example: {
          id: '9c1d7e2a-4b5f-4e3a-8d21-6a7b8c9d0e1f',
          identity: {
            givenName: 'Anna',
            familyName: 'Peeters',
            birthDate: '1985-07-30',
            language: 'nl',
            nationalNumber: null,
          },
          contact: { phone: '+32470123456', email: null, address: null },
          changed: ['phone', 'address'],
        },
      },
    },
  })
  rectify(@Access() access: AccessContext, @Param() params: UuidParam, @Body() body: UpdateClientIdentityDto) {
    return this.clients.rectify(access, params.id, body);
  }

  @Get(':id/export')
  @Authorize('export', 'ClientData')
  @ApiOperation({
    summary:
      "The client's own copy of everything the network keeps about them (GDPR art. 20; X-Purpose: data-subject-rights): JSON, or ?format=fhir for a FHIR R4 Bundle",
  })
  @ApiOkResponse({
    content: {
      'application/json': {
        example: {
          clientId: '9c1d7e2a-4b5f-4e3a-8d21-6a7b8c9d0e1f',
          exportedAt: '2026-11-30T10:00:00.000Z',
          erasedAt: null,
          identity: {
            givenName: 'Anna',
            familyName: 'Peeters',
            birthDate: '1985-07-30',
            language: 'nl',
            nationalNumber: null,
          },
          contact: { phone: '+32470123456', address: null },
          referrals: [{ id: '3f1c2b9e-5a7d-4c1e-9b2a-8d6f0e4a7c31', status: 'accepted', signals: ['hoarding'] }],
          cases: [{ id: '5d1f7c9a-3e2b-4a51-8c0e-6f9b2d7a1c44', status: 'closed', endReason: 'mutual-agreement' }],
          consents: [],
        },
      },
      'application/fhir+json': { example: { resourceType: 'Bundle', type: 'collection', entry: [] } },
    },
  })
  async export(
    @Access() access: AccessContext,
    @Param() params: UuidParam,
    @Query() query: ClientExportQuery,
    @Res({ passthrough: true }) reply: { header(name: string, value: string): unknown },
  ) {
    const format = query.format ?? 'json';
    const body = await this.clients.exportData(access, params.id, format);
    if (format === 'fhir') reply.header('content-type', 'application/fhir+json; charset=utf-8');
    return body;
  }

  @Post(':id/erasure')
  @HttpCode(200)
  @Authorize('delete', 'ClientData')
  @IdempotentWrite()
  @ApiOperation({
    summary:
      "Erase the client's data on their documented request (GDPR art. 17; X-Purpose: data-subject-rights) — refused (409) while a case still runs; the access log keeps its pseudonymised entries",
  })
  @ApiOkResponse({
    content: {
      'application/json': {
        example: {
          id: '9c1d7e2a-4b5f-4e3a-8d21-6a7b8c9d0e1f',
          erasedAt: '2026-11-30T10:05:00.000Z',
          erased: { referrals: 1, cases: 1, consents: 2 },
          kept: ['access log entries (pseudonymised)'],
        },
      },
    },
  })
  erase(@Access() access: AccessContext, @Param() params: UuidParam, @Body() body: ErasureRequestDto) {
    return this.clients.erase(access, params.id, body);
  }

  @Post('merges/:id/undo')
  @HttpCode(200)
  @Authorize('merge', 'Client')
  @ApiOperation({ summary: 'Undo a merge: everything it moved goes back' })
  undo(@Access() access: AccessContext, @Param() params: UuidParam) {
    return this.clients.undo(access, params.id);
  }
}
