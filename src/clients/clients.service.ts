import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccessLogService, AccessRefused, type AccessContext } from '../access-log/access-log.service.js';
import { ProblemException } from '../common/problem/problem.js';
import { PolicyService } from '../policies/policy.service.js';
import { ClientsRepository } from './clients.repository.js';

const notFound = () => new ProblemException('not-found', 'Client not found or no access');

/** A coordinator merges two records that turn out to be the same person; every merge is logged and can be undone. */
@Injectable()
export class ClientsService {
  constructor(
    private readonly clients: ClientsRepository,
    private readonly policy: PolicyService,
    private readonly accessLog: AccessLogService,
  ) {}

  private async requireOwn(manager: EntityManager, access: AccessContext, id: string, action: string) {
    const client = await this.clients.findClient(manager, id);
    const own = client?.custodianPartnerId === access.principal.partnerId;
    const decision = this.policy.authorize({
      partnerType: access.principal.partnerType,
      roles: access.principal.roles,
      purpose: access.purpose,
      action: 'merge',
      resourceType: 'Client',
      facts: { ownOrganisation: own },
    });
    if (!client || !own || decision.decision === 'deny') {
      throw new AccessRefused(
        {
          action,
          resourceType: 'Client',
          resourceId: id,
          clientId: client ? id : null,
          reason: 'not a client of this team, or merging not permitted',
        },
        notFound(),
      );
    }
    return { client, decision };
  }

  async merge(access: AccessContext, survivorId: string, duplicateId: string) {
    if (survivorId === duplicateId)
      throw new ProblemException('validation-failed', 'A record cannot be merged into itself', {
        errors: [{ pointer: '/duplicateId', detail: 'same as the surviving record' }],
      });
    return this.accessLog.audited(access, async (manager) => {
      const { decision } = await this.requireOwn(manager, access, survivorId, 'merge');
      const { client: duplicate } = await this.requireOwn(manager, access, duplicateId, 'merge');
      if (duplicate.mergedInto) throw new ProblemException('conflict', 'That record was already merged into another');
      const merge = await this.clients.merge(manager, survivorId, duplicateId, {
        partnerId: access.principal.partnerId,
        userSub: access.principal.subject,
      });
      return {
        result: {
          id: merge.id,
          survivorId,
          duplicateId,
          movedReferrals: merge.movedReferrals.length,
          movedCases: merge.movedCases.length,
          mergedAt: merge.mergedAt.toISOString(),
        },
        record: {
          action: 'merge',
          resourceType: 'Client',
          resourceId: merge.id,
          clientId: survivorId,
          custodianPartnerId: access.principal.partnerId,
          decision: 'permit',
          reason: 'two records of the same person merged',
          ruleId: decision.rule?.id ?? null,
          fields: ['clientId'],
        },
      };
    });
  }

  async undo(access: AccessContext, mergeId: string) {
    return this.accessLog.audited(access, async (manager) => {
      const merge = await this.clients.findMerge(manager, mergeId);
      if (!merge)
        throw new AccessRefused(
          { action: 'unmerge', resourceType: 'Client', resourceId: mergeId, reason: 'no such merge' },
          new ProblemException('not-found', 'Merge not found or no access'),
        );
      const { decision } = await this.requireOwn(manager, access, merge.survivorId, 'unmerge');
      if (merge.undoneAt) throw new ProblemException('conflict', 'This merge was already undone');
      await this.clients.undo(manager, merge);
      return {
        result: { id: merge.id, undone: true },
        record: {
          action: 'unmerge',
          resourceType: 'Client',
          resourceId: merge.id,
          clientId: merge.survivorId,
          custodianPartnerId: access.principal.partnerId,
          decision: 'permit',
          reason: 'merge undone',
          ruleId: decision.rule?.id ?? null,
          fields: ['clientId'],
        },
      };
    });
  }
}
