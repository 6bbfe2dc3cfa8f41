import { Injectable } from '@nestjs/common';
import { AccessLogService, type AccessLogEntry } from '../access-log/access-log.service.js';
import { ChainService, ProofUnavailable, type InclusionProofView } from '../access-log/chain.service.js';
import { canonicalEntry } from '../access-log/verify/entry.js';
import type { AccessContext } from '../access/access-context.js';
import { AccessService, type AccessTransaction } from '../access/access.service.js';
import { ClientsService } from '../clients/clients.service.js';
import { ProblemException } from '../common/problem/problem.js';

/** The entry as its hash covers it (canonical content), with that hash: what a receipt carries. */
export function receiptEntry(entry: AccessLogEntry): Record<string, unknown> {
  return { ...(JSON.parse(canonicalEntry(entry)) as Record<string, unknown>), entryHash: entry.entryHash };
}

/**
 * Receipts: the proof that an access was recorded in the log and can never quietly leave it —
 * the entry, its inclusion proof in a signed Merkle tree head, and consistency proofs between
 * heads. Who may fetch one is decided by the policy (rules *-fetches-receipts-*): the partner
 * that made the access, the client's holding team answering the client's access report, privacy
 * officers of the organisations concerned, the network operator's officer. Every fetch is logged.
 */
@Injectable()
export class ReceiptsService {
  constructor(
    private readonly access: AccessService,
    private readonly accessLog: AccessLogService,
    private readonly chain: ChainService,
    private readonly clients: ClientsService,
  ) {}

  /** Loads the entry and decides whether this caller may have its receipt; refusals are logged. */
  private async requireEntry(tx: AccessTransaction, entryId: string, clientId: string | undefined) {
    const me = tx.context.principal.partnerId;
    const entry = await this.accessLog.findEntry(tx.manager, entryId);
    const subject = { type: 'AccessLogReceipt' as const, id: entryId };
    if (!entry) return tx.notFound(subject, 'read', 'no such access-log entry');
    let own = entry.partnerId === me;
    // Privacy officers also see the accesses to the clients their organisation holds.
    if (tx.context.purpose === 'privacy-audit') own ||= entry.custodianPartnerId === me;
    if (clientId && tx.context.purpose === 'subject-access') {
      // The client's holding team answers the access report: the entry must be about this client.
      const loaded = await this.clients.facts(tx.manager, tx.context, clientId, 'AccessLogReceipt');
      const family = loaded.record ? await this.clients.historyOf(tx.manager, clientId) : [];
      const about = family.length > 0 && (await this.accessLog.findEntryAbout(tx.manager, entryId, family)) !== null;
      own ||= about && loaded.facts.ownOrganisation === true;
    }
    const decision = await tx.require({
      subject: { ...subject, custodianPartnerId: entry.custodianPartnerId },
      action: 'read',
      facts: { ownOrganisation: own, visible: false },
    });
    return { entry, decision };
  }

  /**
   * What needs connections of its own is done before the access's transaction: linking pending
   * entries and signing a tree head that holds the entry (neither discloses anything). Null: no
   * such entry, or not yet linked.
   */
  private async prepare(entryId: string, treeSize: number | undefined): Promise<number | null> {
    const position = await this.chain.positionOf(entryId);
    if (position !== null && treeSize === undefined) await this.chain.ensureHeadCovering(position);
    return position;
  }

  private async proofOf(
    tx: AccessTransaction,
    position: number | null,
    treeSize: number | undefined,
  ): Promise<InclusionProofView> {
    if (position === null)
      throw new ProblemException('unprocessable', 'This access is not yet in the log’s chain; try again shortly');
    if (treeSize !== undefined && treeSize < position)
      throw new ProblemException('unprocessable', 'This access came after that tree: ask for a larger treeSize', {
        errors: [{ pointer: '/treeSize', detail: `must be at least ${position}` }],
      });
    try {
      const proof = await this.chain.inclusion(position, treeSize, tx.manager);
      if (!proof) throw new ProblemException('not-found', 'No signed tree head of that size');
      return proof;
    } catch (error) {
      if (error instanceof ProofUnavailable)
        throw new ProblemException(
          'unprocessable',
          'That tree head lies before the retention anchor: ask for a later one',
        );
      throw error;
    }
  }

  async proof(context: AccessContext, entryId: string, treeSize: number | undefined, clientId?: string) {
    const position = await this.prepare(entryId, treeSize);
    return this.access.run(context, async (tx) => {
      const { entry, decision } = await this.requireEntry(tx, entryId, clientId);
      const proof = await this.proofOf(tx, position, treeSize);
      return tx.complete(proof, decision, {
        reason: 'inclusion proof of an access-log entry fetched',
        resourceId: entry.id,
        written: [],
      });
    });
  }

  async receipt(context: AccessContext, entryId: string, treeSize: number | undefined, clientId?: string) {
    const position = await this.prepare(entryId, treeSize);
    return this.access.run(context, async (tx) => {
      const { entry, decision } = await this.requireEntry(tx, entryId, clientId);
      const proof = await this.proofOf(tx, position, treeSize);
      return tx.complete({ entry: receiptEntry(entry), proof }, decision, {
        reason: 'receipt of an access-log entry fetched',
        resourceId: entry.id,
        disclosed: { entries: [entry.id] },
      });
    });
  }

  private async requireVerify(tx: AccessTransaction) {
    return tx.require({
      subject: { type: 'AccessLogReceipt' },
      action: 'verify',
      facts: { ownOrganisation: true, visible: true },
    });
  }

  /** The newest signed tree head (signed now when the tree grew since the last one). */
  async treeHead(context: AccessContext) {
    const head = await this.chain.currentTreeHead();
    return this.access.run(context, async (tx) => {
      const decision = await this.requireVerify(tx);
      if (!head) throw new ProblemException('not-found', 'The log is still empty: no tree head yet');
      const view = {
        treeSize: head.treeSize,
        rootHash: head.rootHash,
        chainHash: head.chainHash,
        signedAt: head.signedAt.toISOString(),
        kid: head.kid,
        treeHead: head.jws,
      };
      return tx.complete(view, decision, { reason: 'signed tree head of the access log fetched', written: [] });
    });
  }

  async consistency(context: AccessContext, first: number, second: number) {
    return this.access.run(context, async (tx) => {
      const decision = await this.requireVerify(tx);
      if (first > second)
        throw new ProblemException('validation-failed', 'first must not be larger than second', {
          errors: [{ pointer: '/first', detail: 'must be at most second' }],
        });
      let answer: Awaited<ReturnType<ChainService['consistency']>>;
      try {
        answer = await this.chain.consistency(first, second, tx.manager);
      } catch (error) {
        if (error instanceof ProofUnavailable)
          throw new ProblemException('unprocessable', 'The first tree lies before the retention anchor');
        throw error;
      }
      if (!answer) throw new ProblemException('not-found', 'No signed tree head of one of those sizes');
      return tx.complete(answer, decision, { reason: 'consistency proof of the access log fetched', written: [] });
    });
  }
}
