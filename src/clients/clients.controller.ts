import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import type { AccessContext } from '../access/access-context.js';
import { Access } from '../access/access-context.js';
import { Authorize, IdempotentWrite } from '../access/decorators.js';
import { UuidParam } from '../common/http/params.js';
import { ClientsService } from './clients.service.js';

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

  @Post('merges/:id/undo')
  @HttpCode(200)
  @Authorize('merge', 'Client')
  @ApiOperation({ summary: 'Undo a merge: everything it moved goes back' })
  undo(@Access() access: AccessContext, @Param() params: UuidParam) {
    return this.clients.undo(access, params.id);
  }
}
