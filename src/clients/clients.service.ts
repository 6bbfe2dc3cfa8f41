import { Inject, Injectable } from '@nestjs/common';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { normaliseNationalNumber } from '../common/crypto/national-number.js';
import type { UpdateClientIdentityDto } from './dto/client-identity.dto.js';
import { clientExportBundle } from './client-export.fhir.js';
import type { Transaction } from '../database/transaction.js';
import { AccessService, type AccessTransaction } from '../access/access.service.js';
import type { SubjectType } from '../access/decision.js';
import { ClientFacts } from './client.facts.js';
import type { AccessContext } from '../access/access-context.js';
import { ProblemException } from '../common/problem/problem.js';
import type { Client } from './client.entity.js';
import { ClientsRepository } from './clients.repository.js';

/** How one capability moves its records of a client to another record, and back. */
export interface ClientRecords {
  move(manager: Transaction, fromClientId: string, toClientId: string): Promise<string[]>;
  restore(manager: Transaction, ids: string[], toClientId: string): Promise<void>;
}

/** How one capability hands over (art. 20) and erases (art. 17) what it keeps about a client. */
export interface ClientData {
  /** What the client provided or what was recorded about them, for art. 20 (absent: nothing to hand over). */
  export?(manager: Transaction, clientId: string): Promise<unknown[]>;
  /** Empties the personal content; answers how many records it touched. */
  erase(manager: Transaction, clientId: string): Promise<number>;
  /** Why the client's data may not be erased now (e.g. a case still open), or null. */
  blocksErasure?(manager: Transaction, clientId: string): Promise<string | null>;
  /** Clients whose data this capability keeps past its retention at `now` (for the retention job). */
  expired?(manager: Transaction, now: Date): Promise<string[]>;
}

/** A coordinator merges two records that turn out to be the same person; every merge is logged and can be undone. */
@Injectable()
export class ClientsService {
  private readonly records = new Map<'referrals' | 'cases', ClientRecords>();
  private readonly data = new Map<string, ClientData>();

  constructor(
    private readonly clients: ClientsRepository,
    private readonly clientFacts: ClientFacts,
    private readonly access: AccessService,
    @Inject(CRYPTO) private readonly crypto: Crypto,
  ) {}

  /**
   * GDPR art. 16: the team that holds the client corrects identity and contact (a new phone, an
   * address lost after an eviction, papers found). Only the fields given change; the entry names
   * the fields written and their categories, never their values.
   */
  async rectify(access: AccessContext, clientId: string, input: UpdateClientIdentityDto) {
    const identityFields = ['givenName', 'familyName', 'birthDate', 'language', 'nationalNumber'] as const;
    const contactFields = ['phone', 'email', 'address'] as const;
    const changed = [...identityFields, ...contactFields].filter((f) => input[f] !== undefined);
    if (changed.length === 0)
      throw new ProblemException('validation-failed', 'Nothing to change', {
        errors: [{ pointer: '', detail: 'give at least one identity or contact field' }],
      });
    const categories = [
      ...(identityFields.some((f) => input[f] !== undefined) ? ['identity'] : []),
      ...(contactFields.some((f) => input[f] !== undefined) ? ['contact'] : []),
    ];
    const { cipher } = this.crypto;
    return this.access.run(access, async (tx) => {
      const loaded = await this.clientFacts.load(tx.manager, tx.context, clientId, 'ClientIdentity');
      if (!loaded.record) return tx.notFound(loaded.subject, 'update', 'no such client');
      const decision = await tx.require(
        // The answer shows identity and contact as they now stand: both must be the caller's to see.
        { subject: loaded.subject, action: 'update', categories: ['identity', 'contact'], facts: loaded.facts },
        { explain: true },
      );
      if (!['identity', 'contact'].every((c) => decision.granted.includes(c)))
        throw new ProblemException('forbidden', 'Not permitted: identity and contact');
      if (loaded.record.mergedInto)
        throw new ProblemException('conflict', 'This record was merged into another; correct that one');
      const client = await this.clients.findClient(tx.manager, clientId);
      if (!client) return tx.notFound(loaded.subject, 'update', 'no such client');
      const identity = { ...cipher.open<Record<string, unknown>>(client.identitySealed) };
      const contact = { ...(client.contactSealed ? cipher.open<Record<string, unknown>>(client.contactSealed) : {}) };
      for (const field of identityFields)
        if (field !== 'nationalNumber' && input[field] !== undefined) identity[field] = input[field];
      for (const field of contactFields) if (input[field] !== undefined) contact[field] = input[field];
      let nationalNumberSealed = client.nationalNumberSealed;
      let nationalNumberIndex = client.nationalNumberIndex;
      if (input.nationalNumber !== undefined) {
        const normalised = input.nationalNumber === null ? null : normaliseNationalNumber(input.nationalNumber);
        nationalNumberSealed = normalised ? cipher.seal(normalised) : null;
        nationalNumberIndex = normalised ? this.crypto.blindIndex('national-number', normalised) : null;
      }
      await this.clients.updateIdentity(tx.manager, clientId, {
        identitySealed: cipher.seal(identity),
        contactSealed: Object.values(contact).some((v) => v !== null && v !== undefined) ? cipher.seal(contact) : null,
        nationalNumberSealed,
        nationalNumberIndex,
      });
      const view = {
        givenName: identity.givenName ?? null,
        familyName: identity.familyName ?? null,
        birthDate: identity.birthDate ?? null,
        language: identity.language ?? null,
        nationalNumber: nationalNumberSealed ? cipher.open<string>(nationalNumberSealed) : null,
        phone: contact.phone ?? null,
        email: contact.email ?? null,
        address: contact.address ?? null,
      };
      return tx.complete(
        {
          id: clientId,
          identity: {
            givenName: identity.givenName ?? null,
            familyName: identity.familyName ?? null,
            birthDate: identity.birthDate ?? null,
            language: identity.language ?? null,
            nationalNumber: nationalNumberSealed ? cipher.open<string>(nationalNumberSealed) : null,
          },
          contact: { phone: contact.phone ?? null, email: contact.email ?? null, address: contact.address ?? null },
          changed,
        },
        decision,
        {
          written: changed,
          // The answer shows the record as it now stands: disclosed to the team that holds it.
          disclosed: view,
          categories: categories.filter((c) => decision.granted.includes(c)),
          reason: `identity and contact rectified (art. 16): ${changed.join(', ')}`,
        },
      );
    });
  }

  /** A coordinator of the team that holds the client (rule team-coordinator-merges-own-clients). */
  private async requireOwn(tx: AccessTransaction, id: string, action: string) {
    const loaded = await this.clientFacts.load(tx.manager, tx.context, id, 'Client');
    if (!loaded.record) return tx.notFound(loaded.subject, action, 'no such client');
    const decision = await tx.require({ subject: loaded.subject, action: 'merge', facts: loaded.facts });
    return { client: loaded.record, decision };
  }

  /**
   * A capability that keeps records of a client (referrals, cases) moves them at a merge and puts
   * them back at an undo; clients never touch another capability's tables.
   */
  registerClientRecords(kind: 'referrals' | 'cases', records: ClientRecords): void {
    this.records.set(kind, records);
  }

  /** A capability that keeps data about a client exports and erases it on the client's request. */
  registerClientData(kind: string, data: ClientData): void {
    this.data.set(kind, data);
  }

  /**
   * GDPR art. 20: everything the network keeps about the client, from each capability that keeps
   * some, for the team that holds the client (JSON; the controller also wraps it as a FHIR Bundle).
   */
  async exportData(access: AccessContext, clientId: string, format: 'json' | 'fhir' = 'json') {
    return this.access.run(access, async (tx) => {
      const loaded = await this.clientFacts.load(tx.manager, tx.context, clientId, 'ClientData');
      if (!loaded.record) return tx.notFound(loaded.subject, 'export', 'no such client');
      const decision = await tx.require({ subject: loaded.subject, action: 'export', facts: loaded.facts });
      const client = await this.clients.findClient(tx.manager, clientId);
      if (!client) return tx.notFound(loaded.subject, 'export', 'no such client');
      const { cipher } = this.crypto;
      const sections: Record<string, unknown[]> = {};
      for (const [kind, data] of this.data) if (data.export) sections[kind] = await data.export(tx.manager, clientId);
      const result = {
        clientId,
        exportedAt: new Date().toISOString(),
        erasedAt: client.erasedAt?.toISOString() ?? null,
        identity: {
          ...cipher.open<Record<string, unknown>>(client.identitySealed),
          nationalNumber: client.nationalNumberSealed ? cipher.open<string>(client.nationalNumberSealed) : null,
        },
        contact: client.contactSealed ? cipher.open<Record<string, unknown>>(client.contactSealed) : null,
        ...sections,
      };
      const body =
        format === 'fhir'
          ? clientExportBundle({
              clientId,
              exportedAt: result.exportedAt,
              identity: result.identity,
              contact: result.contact,
              sections,
            })
          : result;
      return tx.complete(body, decision, {
        disclosed: { clientExport: Object.keys(result) },
        categories: decision.granted,
        reason: `client data exported (GDPR art. 20): ${Object.keys(sections).join(', ')}`,
      });
    });
  }

  /**
   * GDPR art. 17, on the client's documented request (or, with `retention`, by the retention job):
   * every capability empties what it keeps about the client, unless one says a care relation still
   * runs. The access log is not touched: its entries name the client by pseudonym only.
   */
  async erase(
    access: AccessContext,
    clientId: string,
    input: { reason: string; requestReceivedOn: string; reference?: string },
  ) {
    return this.access.run(access, async (tx) => {
      const loaded = await this.clientFacts.load(tx.manager, tx.context, clientId, 'ClientData');
      if (!loaded.record) return tx.notFound(loaded.subject, 'delete', 'no such client');
      const decision = await tx.require({ subject: loaded.subject, action: 'delete', facts: loaded.facts });
      const client = await this.clients.findClient(tx.manager, clientId);
      if (!client) return tx.notFound(loaded.subject, 'delete', 'no such client');
      if (client.erasedAt) throw new ProblemException('conflict', 'This client was already erased');
      for (const data of this.data.values()) {
        const blocked = await data.blocksErasure?.(tx.manager, clientId);
        if (blocked) throw new ProblemException('conflict', `Not erased: ${blocked}`);
      }
      const erased = await this.eraseAll(tx.manager, clientId, 'request');
      return tx.complete(
        { id: clientId, erasedAt: new Date().toISOString(), erased, kept: ['access log entries (pseudonymised)'] },
        decision,
        {
          written: ['erased'],
          categories: decision.granted,
          reason: `client data erased (GDPR art. 17) on the request received ${input.requestReceivedOn}${input.reference ? ` (${input.reference})` : ''}`,
        },
      );
    });
  }

  /**
   * The retention job's candidates, in the caller's transaction: clients some capability says
   * are past retention, that none blocks (a case still open) and that are not erased yet.
   */
  async erasableExpired(manager: Transaction, now: Date): Promise<string[]> {
    const candidates = new Set<string>();
    for (const data of this.data.values())
      for (const id of (await data.expired?.(manager, now)) ?? []) candidates.add(id);
    const erasable: string[] = [];
    for (const clientId of await this.clients.notErased(manager, [...candidates])) {
      let blocked = false;
      for (const data of this.data.values()) if (await data.blocksErasure?.(manager, clientId)) blocked = true;
      if (!blocked) erasable.push(clientId);
    }
    return erasable;
  }

  /**
   * Empties the client and everything each capability keeps about them, in the caller's
   * transaction. Records merged into this one are the same person: they are emptied too (a
   * merge keeps the duplicate's identity for an undo, and leaves its consents and review items
   * under the duplicate's id).
   */
  async eraseAll(manager: Transaction, clientId: string, reason: 'request' | 'retention') {
    const erased: Record<string, number> = {};
    const family = await this.clients.mergedInto(manager, clientId);
    for (const id of family) {
      for (const [kind, data] of this.data) erased[kind] = (erased[kind] ?? 0) + (await data.erase(manager, id));
      await this.clients.eraseClient(manager, id, this.crypto.cipher.seal({}), reason);
    }
    return erased;
  }

  /** The facts of a client record for an access to something of the client as a whole (one statement). */
  facts(manager: Transaction, context: AccessContext, clientId: string, as: SubjectType) {
    return this.clientFacts.load(manager, context, clientId, as);
  }

  /** A new client record (sealed fields), made in the caller's transaction (a referral brings one in). */
  register(
    manager: Transaction,
    client: Omit<Client, 'id' | 'createdAt' | 'mergedInto' | 'erasedAt' | 'erasureReason'>,
  ): Promise<Client> {
    return this.clients.insert(manager, client);
  }

  /** The client record, sealed, for the capability that discloses parts of it after a decision. */
  find(manager: Transaction, id: string): Promise<Client | null> {
    return this.clients.findClient(manager, id);
  }

  teamKnowsNationalNumber(manager: Transaction, teamPartnerId: string, index: string): Promise<boolean> {
    return this.clients.teamKnowsNationalNumber(manager, teamPartnerId, index);
  }

  findEarlierClient(
    manager: Transaction,
    teamPartnerId: string,
    index: string,
    excludeId: string,
  ): Promise<Client | null> {
    return this.clients.findEarlierClient(manager, teamPartnerId, index, excludeId);
  }

  async merge(access: AccessContext, survivorId: string, duplicateId: string) {
    if (survivorId === duplicateId)
      throw new ProblemException('validation-failed', 'A record cannot be merged into itself', {
        errors: [{ pointer: '/duplicateId', detail: 'same as the surviving record' }],
      });
    return this.access.run(access, async (tx) => {
      const { decision } = await this.requireOwn(tx, survivorId, 'merge');
      await this.requireOwn(tx, duplicateId, 'merge');
      const duplicate = await this.clients.findClient(tx.manager, duplicateId);
      if (duplicate?.mergedInto) throw new ProblemException('conflict', 'That record was already merged into another');
      // Each capability moves its own records of the duplicate, and says which moved.
      const moved = { referrals: [] as string[], cases: [] as string[] };
      for (const [kind, records] of this.records) moved[kind] = await records.move(tx.manager, duplicateId, survivorId);
      const merge = await this.clients.merge(tx.manager, survivorId, duplicateId, moved, {
        partnerId: access.principal.partnerId,
        userSub: access.principal.subject,
      });
      return tx.complete(
        {
          id: merge.id,
          survivorId,
          duplicateId,
          movedReferrals: merge.movedReferrals.length,
          movedCases: merge.movedCases.length,
          mergedAt: merge.mergedAt.toISOString(),
        },
        decision,
        {
          resourceId: merge.id,
          reason: `two records of the same person merged (${duplicateId} into ${survivorId})`,
          written: ['clientId'],
        },
      );
    });
  }

  async undo(access: AccessContext, mergeId: string) {
    return this.access.run(access, async (tx) => {
      const merge = await this.clients.findMerge(tx.manager, mergeId);
      if (!merge) return tx.notFound({ type: 'Client', id: mergeId }, 'unmerge', 'no such merge');
      const { decision } = await this.requireOwn(tx, merge.survivorId, 'unmerge');
      if (merge.undoneAt) throw new ProblemException('conflict', 'This merge was already undone');
      // Exactly what the merge moved goes back.
      const moved = { referrals: merge.movedReferrals, cases: merge.movedCases };
      for (const [kind, records] of this.records) await records.restore(tx.manager, moved[kind], merge.duplicateId);
      await this.clients.undo(tx.manager, merge);
      return tx.complete({ id: merge.id, undone: true }, decision, {
        action: 'unmerge',
        resourceId: merge.id,
        reason: 'merge undone',
        written: ['clientId'],
      });
    });
  }

  /**
   * Every record id a client's history is logged under: the client, and the records merged into
   * it (merges not undone), so the survivor's access report carries both records' history.
   */
  historyOf(manager: Transaction, clientId: string): Promise<string[]> {
    return this.clients.mergedInto(manager, clientId);
  }

  /**
   * A warm handover moves the client's holder along with coordination, in the handover's
   * transaction, so the new holder records consents and answers the client's access report.
   * Only from the team that holds the client now (answers whether it moved).
   */
  moveCustody(manager: Transaction, clientId: string, from: string, to: string): Promise<boolean> {
    return this.clients.moveCustody(manager, clientId, from, to);
  }
}
