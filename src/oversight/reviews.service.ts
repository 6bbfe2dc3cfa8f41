import { Inject, Injectable } from '@nestjs/common';
import { AccessLogService } from '../access-log/access-log.service.js';
import type { AccessContext } from '../access/access-context.js';
import { AccessService } from '../access/access.service.js';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { ProblemException } from '../common/problem/problem.js';
import type { Transaction } from '../database/transaction.js';
import type { ReviewItem } from './review-item.entity.js';
import { ReviewsRepository } from './reviews.repository.js';

/**
 * The privacy officer's review queue: every break-the-glass use lands here and needs a verdict
 * and a note; a partner's privacy officer sees its own organisation's items, the network
 * operator's sees all. Reading and resolving are logged.
 */
@Injectable()
export class ReviewsService {
  constructor(
    private readonly reviews: ReviewsRepository,
    private readonly access: AccessService,
    private readonly accessLog: AccessLogService,
    @Inject(CRYPTO) private readonly crypto: Crypto,
  ) {}

  /**
   * An item is "own" for the officer of the organisation whose staff acted or that holds the
   * client (they see it). It is judged by the holder's office; by the network operator's when
   * the holder's own staff acted or no one holds a client (anomalies) — never by the actor's.
   */
  private facts(access: AccessContext, item: ReviewItem | null) {
    const me = access.principal.partnerId;
    const own = item !== null && (item.actorPartnerId === me || item.custodianPartnerId === me);
    const holderJudges =
      item !== null && item.custodianPartnerId !== null && item.custodianPartnerId !== item.actorPartnerId;
    const responsibleOffice =
      item !== null &&
      item.actorPartnerId !== me &&
      (holderJudges ? item.custodianPartnerId === me : access.principal.operator);
    return { visible: own || access.principal.operator, ownOrganisation: own, responsibleOffice };
  }

  private subject(item: ReviewItem | null, id: string) {
    return { type: 'Review' as const, id, custodianPartnerId: item?.custodianPartnerId ?? null };
  }

  private view(item: ReviewItem, entryIds: string[]) {
    return {
      id: item.id,
      kind: item.kind,
      caseId: item.caseId,
      clientId: item.clientId ?? null,
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

  /**
   * Art. 17 (request or retention): the items about the client lose what was written about the
   * client — the break-the-glass justification, the client's contest note, the officer's note.
   * What remains is about the professional's use: who, which roles, until when, the verdict. The
   * item keeps its client id: an opaque id of the emptied record (the case and referral shells keep
   * it too), and the officer still judges an open item against the client's pseudonymised entries.
   */
  async eraseFor(manager: Transaction, clientId: string): Promise<number> {
    const { cipher } = this.crypto;
    const items = await this.reviews.aboutClient(manager, clientId);
    for (const item of items) {
      const { justification: _j, note: _n, ...kept } = cipher.open<Record<string, unknown>>(item.summarySealed);
      await this.reviews.eraseText(manager, item.id, cipher.seal({ ...kept, erased: true }));
    }
    return items.length;
  }

  /** The review item of a break-the-glass grant, opened in the grant's own transaction. */
  openEmergencyReview(
    manager: Transaction,
    input: {
      grantId: string;
      caseId: string;
      clientId: string;
      actorPartnerId: string;
      custodianPartnerId: string;
      summary: Record<string, unknown>;
    },
  ) {
    return this.reviews.insert(manager, {
      kind: 'break-the-glass',
      subjectId: input.grantId,
      caseId: input.caseId,
      clientId: input.clientId,
      actorPartnerId: input.actorPartnerId,
      custodianPartnerId: input.custodianPartnerId,
      summarySealed: this.crypto.cipher.seal(input.summary),
      status: 'open',
    });
  }

  list(access: AccessContext, status?: 'open' | 'resolved') {
    return this.access.run(access, async (tx) => {
      const me = access.principal.partnerId;
      // Whose items: the policy's scope (the network operator's officer sees all).
      const scope = tx.scope(
        { type: 'Review', action: 'read' },
        { ownOrganisation: (_c, bind) => `(r.actor_partner_id = ${bind(me)} OR r.custodian_partner_id = ${bind(me)})` },
      );
      const rows = await this.reviews.listInScope(tx.manager, scope, status);
      const entryIds = await this.accessLog.entryIdsBehind(
        tx.manager,
        rows.map((r) => r.id),
      );
      const items = rows.map((i) => this.view(i, entryIds.get(i.id) ?? []));
      const decision = tx.decideList({ type: 'Review', action: 'read' });
      return tx.complete({ items, nextCursor: null }, decision, {
        reason: 'privacy officer read the review queue',
        disclosed: { reviews: items.map((i) => i.id) },
      });
    });
  }

  /** One item with the log entries behind it. */
  get(access: AccessContext, id: string) {
    return this.access.run(access, async (tx) => {
      const item = await this.reviews.find(tx.manager, id);
      if (!item) return tx.notFound(this.subject(null, id), 'read', 'no such review item');
      const decision = await tx.require({
        subject: this.subject(item, id),
        action: 'read',
        facts: this.facts(access, item),
      });
      const entries = (await this.accessLog.entriesBehind(tx.manager, id)).map((e) => ({
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
      return tx.complete(view, decision, {
        reason: 'privacy officer read a review item',
        disclosed: { review: id, entries: view.entryIds },
      });
    });
  }

  resolve(access: AccessContext, id: string, verdict: 'justified' | 'not-justified', note: string) {
    return this.access.run(access, async (tx) => {
      const item = await this.reviews.findForUpdate(tx.manager, id);
      if (!item) return tx.notFound(this.subject(null, id), 'update', 'no such review item');
      const decision = await tx.require({
        subject: this.subject(item, id),
        action: 'update',
        facts: this.facts(access, item),
      });
      if (item.status === 'resolved') throw new ProblemException('conflict', 'This item was already resolved');
      Object.assign(item, {
        status: 'resolved',
        verdict,
        noteSealed: this.crypto.cipher.seal(note),
        resolvedBy: access.principal.subject,
        resolvedAt: new Date(),
      });
      await this.reviews.save(tx.manager, item);
      const entryIds = (await this.accessLog.entryIdsBehind(tx.manager, [id])).get(id) ?? [];
      return tx.complete(this.view(item, entryIds), decision, {
        reason: `review resolved: ${verdict}`,
        written: ['verdict', 'note'],
      });
    });
  }
}
