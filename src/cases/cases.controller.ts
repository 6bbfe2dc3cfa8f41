import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { AccessContext } from '../access/access-context.js';
import { Access } from '../access/access-context.js';
import { Authorize, IdempotentWrite } from '../access/decorators.js';
import { CasesService } from './cases.service.js';
import {
  CarePlanDto,
  CaseIdParam,
  CaseListQuery,
  CaseNoteDto,
  CircleMemberDto,
  CircleMemberParams,
  ContactAttemptDto,
  EmergencyAccessDto,
  HandoverDto,
  TransitionDto,
} from './dto/case.dto.js';

@ApiTags('cases')
@Controller('v1/cases')
export class CasesController {
  constructor(private readonly cases: CasesService) {}

  @Get()
  @Authorize('read', 'Case')
  @ApiOperation({ summary: 'Cases your organisation holds or is in the circle of (status only)' })
  list(@Access() access: AccessContext, @Query() query: CaseListQuery) {
    return this.cases.list(access, query.limit ?? 50, query.cursor);
  }

  @Get(':id')
  @Authorize('read', 'Case')
  @ApiOperation({
    summary:
      'One case: only the categories your role may see for the stated purpose; withheld groups are named with the reason',
  })
  get(@Access() access: AccessContext, @Param() params: CaseIdParam) {
    return this.cases.get(access, params.id);
  }

  @Post(':id/transitions')
  @HttpCode(200)
  @Authorize('update', 'Case')
  @IdempotentWrite()
  @ApiOperation({ summary: 'Move the case along its life cycle; illegal transitions are 409' })
  transition(@Access() access: AccessContext, @Param() params: CaseIdParam, @Body() body: TransitionDto) {
    return this.cases.transition(access, params.id, body);
  }

  @Post(':id/contact-attempts')
  @HttpCode(201)
  @Authorize('update', 'Case')
  @IdempotentWrite()
  @ApiOperation({
    summary: 'Record a contact attempt (channel, outcome); a contact tells the referrer "contact established"',
  })
  contactAttempt(@Access() access: AccessContext, @Param() params: CaseIdParam, @Body() body: ContactAttemptDto) {
    return this.cases.addContactAttempt(access, params.id, body);
  }

  @Put(':id/care-plan')
  @Authorize('update', 'Case')
  @IdempotentWrite()
  @ApiOperation({
    summary: 'Goals and interventions per life domain, the crisis plan and safety flags (sealed at rest)',
  })
  carePlan(@Access() access: AccessContext, @Param() params: CaseIdParam, @Body() body: CarePlanDto) {
    return this.cases.putCarePlan(access, params.id, body);
  }

  @Post(':id/notes')
  @HttpCode(201)
  @Authorize('update', 'Case')
  @IdempotentWrite()
  @ApiOperation({
    summary:
      'Add a narrative note tagged with a data category (sealed at rest; shown only where that category is permitted)',
  })
  addNote(@Access() access: AccessContext, @Param() params: CaseIdParam, @Body() body: CaseNoteDto) {
    return this.cases.addNote(access, params.id, body);
  }

  @Post(':id/emergency-access')
  @HttpCode(201)
  @Authorize('create', 'EmergencyAccess')
  @ApiOperation({
    summary:
      'Break-the-glass (X-Purpose: crisis): a time-limited grant to the crisis categories; always reviewed by a privacy officer',
  })
  emergencyAccess(@Access() access: AccessContext, @Param() params: CaseIdParam, @Body() body: EmergencyAccessDto) {
    return this.cases.breakTheGlass(access, params.id, body.justification);
  }

  @Post(':id/handover')
  @HttpCode(200)
  @Authorize('update', 'Case')
  @IdempotentWrite()
  @ApiOperation({
    summary:
      'Warm handover (X-Purpose: warm-handover): coordination moves to a follow-up partner in the circle, with consent; the previous team keeps reading for HANDOVER_AFTERCARE_DAYS',
  })
  handover(@Access() access: AccessContext, @Param() params: CaseIdParam, @Body() body: HandoverDto) {
    return this.cases.handover(access, params.id, body.toPartnerId);
  }

  @Post(':id/circle')
  @HttpCode(201)
  @Authorize('update', 'Case')
  @IdempotentWrite()
  @ApiOperation({
    summary: 'Add a partner to the circle of care for named purposes (needs an agreement in force for each)',
  })
  addToCircle(@Access() access: AccessContext, @Param() params: CaseIdParam, @Body() body: CircleMemberDto) {
    return this.cases.addCircleMember(access, params.id, body);
  }

  @Delete(':id/circle/:memberId')
  @Authorize('update', 'Case')
  @ApiOperation({ summary: 'Remove a partner from the circle of care' })
  removeFromCircle(@Access() access: AccessContext, @Param() params: CircleMemberParams) {
    return this.cases.removeCircleMember(access, params.id, params.memberId);
  }
}
