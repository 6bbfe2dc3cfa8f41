import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccessLogService, AccessRefused, type AccessContext } from '../access-log/access-log.service.js';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { ProblemException } from '../common/problem/problem.js';
import { PolicyService } from '../policies/policy.service.js';
import { ReviewItem } from './review-item.entity.js';
import { ReviewsRepository } from './reviews.repository.js';

/**
 * The privacy officer's review queue: every break-the-glass use lands here and needs a verdict
 * and a note; a partner's privacy officer sees its own organisation's items, the network
 * operator's sees all. Reading and resolving are logged.
 */
@Injectable()
export class ReviewsService {
  private readonly reviews: ReviewsRepository;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly accessLog: AccessLogService,
    @Inject(CRYPTO) private readonly crypto: Crypto,
    private readonly policy: PolicyService,
  ) {
    this.reviews = new ReviewsRepository(dataSource);
  }

  /** Whose items: the policy gives the network operator's officer all, others their own organisation's. */
  private scope(access: AccessContext, action: 'read' | 'update'): string | undefined {
    const scope = this.policy.organisationScope({
      ...access.principal,
      purpose: access.purpose,
      action,
      resourceType: 'Review',
    });
    if (scope === 'none')
      throw new ProblemException('forbidden', 'Your roles may not see review items for this purpose');
    return scope === 'network' ? undefined : access.principal.partnerId;
  }

  private inScope(access: AccessContext, item: ReviewItem | null, action: 'read' | 'update'): item is ReviewItem {
    const scope = this.scope(access, action);
    return item !== null && (!scope || item.actorPartnerId === scope || item.custodianPartnerId === scope);
  }

  private view(item: ReviewItem, entryIds: string[]) {
    return {
      id: item.id,
      kind: item.kind,
      caseId: item.caseId,
      actorPartnerId: item.actorPartnerId,
      custodianPartnerId: item.custodianPartnerId,
      override: item.kind === 'break-the-glass',
      /** The access-log entries behind the item (GET /v1/access-log shows them in full). */
      entryIds,
      summary: this.crypto.cipher.open(item.summarySealed),
      status: item.status,
      verdict: item.verdict,
      note: item.noteSealed ? this.crypto.cipher.open(item.noteSealed) : null,
      resolvedBy: item.resolvedBy,
      resolvedAt: item.resolvedAt?.toISOString() ?? null,
      createdAt: item.createdAt.toISOString(),
    };
  }

  list(access: AccessContext, status?: 'open' | 'resolved') {
    return this.accessLog.audited(access, async (manager) => {
      const rows = await this.reviews.list(manager, this.scope(access, 'read'), status);
      const entryIds = await this.reviews.entryIdsOf(
        manager,
        rows.map((r) => r.id),
      );
      const items = rows.map((i) => this.view(i, entryIds.get(i.id) ?? []));
      return {
        result: { items, nextCursor: null },
        record: {
          action: 'read',
          resourceType: 'Review',
          decision: 'permit',
          reason: 'privacy officer read the review queue',
          disclosed: { reviews: items.map((i) => i.id) },
        },
      };
    });
  }

  /** One item with the log entries behind it. */
  get(access: AccessContext, id: string) {
    return this.accessLog.audited(access, async (manager) => {
      const item = await this.reviews.find(manager, id);
      if (!this.inScope(access, item, 'read')) {
        throw new AccessRefused(
          {
            action: 'read',
            resourceType: 'Review',
            resourceId: id,
            reason: 'not found or outside this privacy officer scope',
          },
          new ProblemException('not-found', 'Review item not found or no access'),
        );
      }
      const entries = (await this.reviews.entriesOf(manager, id)).map((e) => ({
        ...e,
        id: e.id as string,
        occurredAt: new Date(e.occurredAt as string).toISOString(),
      }));
      const view = {
        ...this.view(
          item,
          entries.map((e) => e.id),
        ),
        entries,
      };
      return {
        result: view,
        record: {
          action: 'read',
          resourceType: 'Review',
          resourceId: id,
          custodianPartnerId: item.custodianPartnerId,
          decision: 'permit',
          reason: 'privacy officer read a review item',
          disclosed: { review: id, entries: view.entryIds },
        },
      };
    });
  }

  resolve(access: AccessContext, id: string, verdict: 'justified' | 'not-justified', note: string) {
    return this.accessLog.audited(access, async (manager) => {
      const item = await this.reviews.findForUpdate(manager, id);
      if (!this.inScope(access, item, 'update')) {
        throw new AccessRefused(
          {
            action: 'update',
            resourceType: 'Review',
            resourceId: id,
            reason: 'not found or outside this privacy officer scope',
          },
          new ProblemException('not-found', 'Review item not found or no access'),
        );
      }
      if (item.status === 'resolved') throw new ProblemException('conflict', 'This item was already resolved');
      Object.assign(item, {
        status: 'resolved',
        verdict,
        noteSealed: this.crypto.cipher.seal(note),
        resolvedBy: access.principal.subject,
        resolvedAt: new Date(),
      });
      await this.reviews.save(manager, item);
      const entryIds = (await this.reviews.entryIdsOf(manager, [id])).get(id) ?? [];
      return {
        result: this.view(item, entryIds),
        record: {
          action: 'update',
          resourceType: 'Review',
          resourceId: id,
          custodianPartnerId: item.custodianPartnerId,
          decision: 'permit',
          reason: `review resolved: ${verdict}`,
          fields: ['verdict', 'note'],
        },
      };
    });
  }
}
