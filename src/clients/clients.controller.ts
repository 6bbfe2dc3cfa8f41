import { Body, Controller, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import type { AccessContext } from '../access/access-context.js';
import { Access } from '../access/access-context.js';
import { Authorize, IdempotentWrite } from '../access/decorators.js';
import { UuidParam } from '../common/http/params.js';
import { ClientsService } from './clients.service.js';
import { UpdateClientIdentityDto } from './dto/client-identity.dto.js';

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

  @Post('merges/:id/undo')
  @HttpCode(200)
  @Authorize('merge', 'Client')
  @ApiOperation({ summary: 'Undo a merge: everything it moved goes back' })
  undo(@Access() access: AccessContext, @Param() params: UuidParam) {
    return this.clients.undo(access, params.id);
  }
}
