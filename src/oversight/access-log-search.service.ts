import { Injectable } from '@nestjs/common';
import { Readable } from 'node:stream';
import { AccessLogService, type LogFilter } from '../access-log/access-log.service.js';
import { ChainService } from '../access-log/chain.service.js';
import { canonicalEntry } from '../access-log/verify/entry.js';
import { entryLine } from '../access-log/verify/export-file.js';
import type { AccessContext } from '../access/access-context.js';
import { AccessService, type AccessTransaction } from '../access/access.service.js';
import { ClientsService } from '../clients/clients.service.js';
import { bundleChunks, FHIR_JSON, FHIR_NDJSON, ndjsonLines, type FhirResource } from '../common/fhir/bundle.js';
import { decodeCursor, toPage, type Page } from '../common/http/pagination.js';
import { AccessLogEntryView, type AccessLogQuery } from './dto/access-log.dto.js';
import { auditEventFromEntry } from './fhir-audit-event.js';

const isSeq = (v: unknown): v is string => typeof v === 'string' && /^\d{1,19}$/.test(v);

const CSV_COLUMNS = [
  'position',
  'occurredAt',
  'id',
  'requestId',
  'partnerId',
  'userSub',
  'roles',
  'profession',
  'action',
  'resourceType',
  'resourceId',
  'clientRef',
  'custodianPartnerId',
  'purpose',
  'legalBasis',
  'consentId',
  'decision',
  'reason',
  'ruleId',
  'fields',
  'disclosureSha256',
  'override',
  'policyVersion',
  'entryHash',
  'prevHash',
  'hash',
] as const;

function csvCell(value: unknown): string {
  const text = Array.isArray(value) ? value.join(';') : value === null || value === undefined ? '' : String(value);
  // Quote always; neutralise spreadsheet formulas (CSV injection).
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** The representations of an export; `fhir-*` are AuditEvents, the others the verifiable raw entries. */
export const EXPORT_REPRESENTATIONS = {
  ndjson: { contentType: 'application/x-ndjson', extension: 'ndjson', reason: 'NDJSON' },
  csv: { contentType: 'text/csv; charset=utf-8', extension: 'csv', reason: 'CSV' },
  'fhir-ndjson': { contentType: FHIR_NDJSON, extension: 'fhir.ndjson', reason: 'FHIR AuditEvent NDJSON' },
  'fhir-bundle': { contentType: FHIR_JSON, extension: 'fhir.json', reason: 'a FHIR AuditEvent Bundle' },
} as const;
export type ExportRepresentation = keyof typeof EXPORT_REPRESENTATIONS;

/**
 * What privacy officers do with the log: search, export, verify. A partner's privacy officer
 * sees the accesses its organisation made and those to cases it holds; the network operator's
 * sees everything. Every use is itself logged.
 */
@Injectable()
export class AccessLogSearchService {
  constructor(
    private readonly access: AccessService,
    private readonly accessLog: AccessLogService,
    private readonly chain: ChainService,
    private readonly clients: ClientsService,
  ) {}

  /** The officer's filters, and whose entries: the policy's scope (the operator's officer sees all). */
  private async filterFor(tx: AccessTransaction, query: AccessLogQuery, action: 'read' | 'export'): Promise<LogFilter> {
    const me = tx.context.principal.partnerId;
    const scope = tx.scope(
      { type: 'AccessLogEntry', action },
      { ownOrganisation: (_c, bind) => `(e.partner_id = ${bind(me)} OR e.custodian_partner_id = ${bind(me)})` },
      'scope',
    );
    // A client's history includes the records merged into it.
    const family = query.client ? await this.clients.historyOf(tx.manager, query.client) : undefined;
    return {
      clientRefs: family?.map((id) => this.accessLog.pseudonym(id)),
      partnerId: query.partner,
      userSub: query.user,
      purpose: query.purpose,
      decision: query.decision,
      resourceType: query.resourceType,
      resourceId: query.resourceId,
      override: query.override === undefined ? undefined : query.override === 'true',
      from: query.from ? new Date(query.from) : undefined,
      to: query.to ? new Date(query.to) : undefined,
      scope,
    };
  }

  async list(context: AccessContext, query: AccessLogQuery): Promise<Page<AccessLogEntryView>> {
    const limit = query.limit ?? 50;
    const before = decodeCursor(query.cursor, isSeq);
    // Read on the audit transaction's own connection: a second pool connection per request can
    // deadlock the pool under load (every request holding one, waiting for another).
    return this.access.run(context, async (tx) => {
      const filter = await this.filterFor(tx, query, 'read');
      const rows = await this.accessLog.search(tx.manager, filter, before, limit + 1);
      const page = toPage(rows, limit, AccessLogEntryView.of, (row) => row.seq);
      const decision = tx.decideList({ type: 'AccessLogEntry', action: 'read' });
      return tx.complete(page, decision, {
        clientId: query.client,
        reason: 'privacy officer searched the access log',
        disclosed: { entries: page.items.map((item) => item.id) },
      });
    });
  }

  /** Logs the export, then streams it page by page (constant memory, also for the FHIR Bundle). */
  async export(context: AccessContext, query: AccessLogQuery, format: ExportRepresentation): Promise<Readable> {
    const filter = await this.access.run(context, async (tx) => {
      const scoped = await this.filterFor(tx, query, 'export');
      const decision = tx.decideList({ type: 'AccessLogEntry', action: 'export' });
      return tx.complete(scoped, decision, {
        clientId: query.client,
        reason: `privacy officer exported the access log as ${EXPORT_REPRESENTATIONS[format].reason}`,
        written: [format],
      });
    });
    await this.chain.chainAll();
    const accessLog = this.accessLog;
    const chain = this.chain;
    const lastCheckpoint = await accessLog.lastCheckpoint();
    const treeHead = format === 'ndjson' ? await chain.signTreeHead() : null;
    // Oldest first in chain order (commit order, the order the chain and the tree verify in),
    // bounded by the chain head now (which includes this export's own entry).
    async function* rows() {
      const head = await chain.head();
      if (!head) return;
      let after = '0';
      for (;;) {
        const pageRows = await accessLog.search(
          undefined,
          { ...filter, afterPosition: after, untilPosition: head.position },
          undefined,
          1000,
        );
        if (pageRows.length === 0) break;
        yield* pageRows;
        after = pageRows[pageRows.length - 1].link!.position;
      }
    }
    async function* auditEvents(): AsyncGenerator<FhirResource> {
      for await (const row of rows()) yield auditEventFromEntry(AccessLogEntryView.of(row));
    }
    async function* lines(): AsyncGenerator<string> {
      if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\n`;
      for await (const row of rows()) {
        const { seq: _seq, link, ...entry } = row;
        if (format === 'ndjson') {
          // The entry as its hash covers it (canonical JSON), then its hash: verifies as written.
          yield entryLine(link, canonicalEntry(entry), entry.entryHash);
        } else {
          const flat: Record<string, unknown> = {
            ...entry,
            occurredAt: new Date(entry.occurredAt).toISOString(),
            position: link?.position,
            prevHash: link?.prevHash,
            hash: link?.hash,
          };
          yield `${CSV_COLUMNS.map((column) => csvCell(flat[column])).join(',')}\n`;
        }
      }
      if (format === 'ndjson') {
        // After a retention purge the chain resumes from the signed anchor (with the tree's subtrees).
        const anchor = await chain.anchor();
        if (anchor && anchor.id !== lastCheckpoint?.id)
          yield `${JSON.stringify({ type: 'checkpoint', position: anchor.position, headHash: anchor.headHash, signedAt: anchor.signedAt, jws: anchor.jws })}\n`;
        if (treeHead)
          yield `${JSON.stringify({ type: 'tree-head', treeSize: treeHead.treeSize, rootHash: treeHead.rootHash, chainHash: treeHead.chainHash, signedAt: treeHead.signedAt, treeHead: treeHead.jws })}\n`;
      }
      if (format === 'ndjson' && lastCheckpoint) {
        yield `${JSON.stringify({ type: 'checkpoint', position: lastCheckpoint.position, headHash: lastCheckpoint.headHash, signedAt: lastCheckpoint.signedAt, jws: lastCheckpoint.jws })}\n`;
      }
    }
    if (format === 'fhir-ndjson') return Readable.from(ndjsonLines(auditEvents()));
    if (format === 'fhir-bundle') return Readable.from(bundleChunks(auditEvents()));
    return Readable.from(lines());
  }

  /** Verifies first (no client data in the report), then records that it was done. */
  async verify(context: AccessContext) {
    const report = await this.chain.verify();
    return this.access.run(context, async (tx) => {
      const decision = await tx.require({
        subject: { type: 'AccessLogEntry' },
        action: 'verify',
        facts: { visible: true },
      });
      return tx.complete(report, decision, { reason: 'integrity of the access log verified', written: [] });
    });
  }

  async checkpoints(limit: number, cursor: string | undefined) {
    const before = decodeCursor(cursor, isSeq);
    const rows = await this.accessLog.checkpoints(before, limit + 1);
    return toPage(
      rows,
      limit,
      (c) => ({
        position: c.position,
        headHash: c.headHash,
        signedAt: c.signedAt.toISOString(),
        kid: c.kid,
        jws: c.jws,
      }),
      (c) => c.id,
    );
  }
}
