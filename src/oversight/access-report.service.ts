import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AccessLogService, AccessRefused, type AccessContext } from '../access-log/access-log.service.js';
import { ProblemException } from '../common/problem/problem.js';
import { Partner } from '../partners/partner.entity.js';
import { PolicyService } from '../policies/policy.service.js';
import { Client } from '../referrals/client.entity.js';
import { ReviewItem, ReviewItemEntry } from './review-item.entity.js';
import { Consent } from '../consent/consent.entity.js';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { Inject } from '@nestjs/common';

export type Lang = 'nl' | 'fr' | 'en';

/** GDPR grounds in the client's language; the stored legal basis names them as e.g. "6(1)(a)" and "9(2)(h)". */
const GROUNDS: Record<string, Record<Lang, string>> = {
  '6a': { nl: 'uw toestemming', fr: 'votre consentement', en: 'your consent' },
  '6b': { nl: 'een overeenkomst', fr: 'un contrat', en: 'a contract' },
  '6c': { nl: 'een wettelijke verplichting', fr: 'une obligation légale', en: 'a legal obligation' },
  '6d': { nl: 'een vitaal belang', fr: 'des intérêts vitaux', en: 'vital interests' },
  '6e': { nl: 'een taak van algemeen belang', fr: "une mission d'intérêt public", en: 'a task in the public interest' },
  '6f': { nl: 'een gerechtvaardigd belang', fr: 'un intérêt légitime', en: 'a legitimate interest' },
  '9a': { nl: 'uw uitdrukkelijke toestemming', fr: 'votre consentement explicite', en: 'your explicit consent' },
  '9c': { nl: 'een vitaal belang', fr: 'des intérêts vitaux', en: 'vital interests' },
  '9h': {
    nl: 'gezondheids- of sociale zorg onder beroepsgeheim',
    fr: 'des soins de santé ou sociaux sous secret professionnel',
    en: 'health or social care under professional secrecy',
  },
};
const REGULATION: Record<Lang, string> = { nl: 'AVG', fr: 'RGPD', en: 'GDPR' };

/** "GDPR 6(1)(d) and 9(2)(c): vital interests" → "AVG art. 6(1)(d): een vitaal belang; art. 9(2)(c): …". */
function legalBasisIn(lang: Lang, stored: string): string {
  const grounds = [
    ...new Set(
      [...stored.matchAll(/\b(6)\(1\)\(([a-f])\)|\b(9)\(2\)\(([a-j])\)/g)].map((m) => (m[1] ? `6${m[2]}` : `9${m[4]}`)),
    ),
  ];
  const said = grounds
    .filter((g) => GROUNDS[g])
    .map((g) => `art. ${g[0]}(${g[0] === '6' ? 1 : 2})(${g[1]}): ${GROUNDS[g][lang]}`);
  return said.length ? `${REGULATION[lang]} ${said.join('; ')}` : stored;
}

/** Lower-cases only the first letter: "CAW" and "GDPR" inside a purpose stay as they are. */
const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);

interface Words {
  verbs: Record<string, string>;
  purpose: string;
  basis: string;
  consent: string;
  override: string;
  justification: string;
  employee: string;
  refusals: (n: number) => string;
  none: string;
  title: string;
}

const WORDS: Record<Lang, Words> = {
  nl: {
    verbs: {
      read: 'raadpleegde',
      create: 'registreerde',
      update: 'wijzigde',
      decide: 'besliste over',
      merge: 'voegde samen',
      export: 'exporteerde',
    },
    purpose: 'met als doel:',
    basis: 'rechtsgrond',
    consent: 'met uw toestemming van',
    override: 'NOODTOEGANG (achteraf gecontroleerd)',
    justification: 'reden',
    employee: 'medewerker',
    refusals: (n) => `${n} poging(en) tot inzage werden geweigerd.`,
    none: 'gegevens over de opvolging',
    title: 'Wie bekeek uw gegevens, en waarom',
  },
  fr: {
    verbs: {
      read: 'a consulté',
      create: 'a enregistré',
      update: 'a modifié',
      decide: 'a décidé sur',
      merge: 'a fusionné',
      export: 'a exporté',
    },
    purpose: 'dans le but :',
    basis: 'base légale',
    consent: 'avec votre consentement du',
    override: "ACCÈS D'URGENCE (contrôlé a posteriori)",
    justification: 'motif',
    employee: 'collaborateur',
    refusals: (n) => `${n} tentative(s) d'accès ont été refusées.`,
    none: 'des données de suivi',
    title: 'Qui a consulté vos données, et pourquoi',
  },
  en: {
    verbs: {
      read: 'read',
      create: 'recorded',
      update: 'changed',
      decide: 'decided on',
      merge: 'merged',
      export: 'exported',
    },
    purpose: 'for this purpose:',
    basis: 'legal basis',
    consent: 'with your consent of',
    override: 'EMERGENCY ACCESS (reviewed afterwards)',
    justification: 'justification',
    employee: 'employee',
    refusals: (n) => `${n} attempt(s) to access your data were refused.`,
    none: 'follow-up data',
    title: 'Who looked at your data, and why',
  },
};

/**
 * The client's access report (GDPR art. 15): every access to their file, by organisation and
 * role, with the categories, purpose, legal basis and consent, in a sentence a person
 * understands. Overrides are marked, with the justification given for the emergency grant. The
 * network decides (policies/network.yaml) whether users are named or pseudonymised
 * (`accessReportNamesUsers`) and whether refusals are summarised or left out
 * (`accessReportRefusals`).
 */
@Injectable()
export class AccessReportService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly accessLog: AccessLogService,
    private readonly policy: PolicyService,
    @Inject(CRYPTO) private readonly crypto: Crypto,
  ) {}

  private async requireHolder(manager: EntityManager, access: AccessContext, clientId: string, action: string) {
    const client = await manager.findOneBy(Client, { id: clientId });
    const own = client?.custodianPartnerId === access.principal.partnerId;
    // The network operator's privacy officer answers for any client: a rule on the operator fact.
    const decision = this.policy.authorize({
      partnerType: access.principal.partnerType,
      roles: access.principal.roles,
      purpose: access.purpose,
      action,
      resourceType: 'ClientAccessReport',
      facts: { ownOrganisation: own, operator: access.principal.operator },
    });
    if (!client || decision.decision === 'deny') {
      throw new AccessRefused(
        {
          action,
          resourceType: 'ClientAccessReport',
          clientId: client ? clientId : null,
          reason: 'not the team that holds this client',
        },
        new ProblemException('not-found', 'Client not found or no access'),
      );
    }
  }

  private categoriesOf(fields: string[]): string[] {
    return this.policy.policy.categories.filter((c) => c.fields.some((f) => fields.includes(f))).map((c) => c.id);
  }

  async report(access: AccessContext, clientId: string, lang: Lang) {
    return this.accessLog.audited(access, async (manager) => {
      await this.requireHolder(manager, access, clientId, 'read');
      const ref = this.accessLog.pseudonym(clientId);
      // An override entry sits behind its grant's review item; the grant holds the sealed justification.
      const rows: {
        id: string;
        occurred_at: Date;
        partner_id: string;
        user_sub: string;
        roles: string[];
        action: string;
        purpose: string;
        legal_basis: string | null;
        consent_id: string | null;
        decision: string;
        fields: string[];
        override: boolean;
        justification_sealed: string | null;
      }[] = await manager.query(
        `SELECT e.id, e.occurred_at, e.partner_id, e.user_sub, e.roles, e.action, e.purpose, e.legal_basis, e.consent_id, e.decision, e.fields, e.override, g.justification_sealed
           FROM access_log_entry e
           LEFT JOIN LATERAL (
             SELECT grant_.justification_sealed FROM review_item_entry l JOIN review_item r ON r.id = l.review_item_id AND r.kind = 'break-the-glass'
               JOIN emergency_grant grant_ ON grant_.id = r.subject_id WHERE l.entry_id = e.id LIMIT 1
           ) g ON e.override
          WHERE e.client_ref = $1 ORDER BY e.seq`,
        [ref],
      );
      const switches = this.policy.policy.switches;
      const partners = new Map((await manager.find(Partner)).map((p) => [p.id, p.name]));
      const consents = new Map((await manager.findBy(Consent, { clientId })).map((c) => [c.id, c.validFrom]));
      const words = WORDS[lang];
      const date = (d: Date) =>
        new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : `${lang}-BE`, {
          day: 'numeric',
          month: 'long',
          year: 'numeric',
        }).format(d);
      const permitted = rows.filter((r) => r.decision === 'permit');
      const accesses = permitted.map((r) => {
        const purpose = this.policy.policy.purposes.find((p) => p.id === r.purpose);
        const categories = this.categoriesOf(r.fields);
        const organisation = partners.get(r.partner_id) ?? r.partner_id;
        // In the client's language: role and category labels from policies/, joined as a person would say them.
        const role = r.roles
          .map((id) => this.policy.policy.roles.find((x) => x.id === id)?.label[lang] ?? id)
          .join(', ');
        const said = new Intl.ListFormat(lang, { style: 'long', type: 'conjunction' }).format(
          categories.map((id) => this.policy.policy.categories.find((c) => c.id === id)?.label[lang] ?? id),
        );
        const user = switches.accessReportNamesUsers
          ? r.user_sub
          : `${words.employee} ${this.accessLog.pseudonym(`user:${r.partner_id}:${r.user_sub}`).slice(0, 8)}`;
        const justification =
          r.override && r.justification_sealed ? this.crypto.cipher.open<string>(r.justification_sealed) : null;
        const consentDate = r.consent_id ? consents.get(r.consent_id) : undefined;
        const sentence =
          `${date(new Date(r.occurred_at))}: ${organisation} (${role}, ${user}) ${words.verbs[r.action] ?? r.action} ${categories.length ? said : words.none} ` +
          `${words.purpose} ${purpose ? lowerFirst(purpose.description[lang].replace(/\.$/, '')) : r.purpose}` +
          `${consentDate ? `, ${words.consent} ${date(new Date(consentDate))}` : ''}${r.legal_basis ? ` (${words.basis}: ${legalBasisIn(lang, r.legal_basis)})` : ''}.` +
          `${r.override ? ` ${words.override}${justification ? ` — ${words.justification}: “${justification}”` : ''}.` : ''}`;
        return {
          entryId: r.id,
          at: new Date(r.occurred_at).toISOString(),
          organisation,
          partnerId: r.partner_id,
          roles: r.roles,
          user,
          action: r.action,
          categories,
          purpose: r.purpose,
          legalBasis: r.legal_basis,
          consentGivenOn: consentDate ?? null,
          override: r.override,
          justification,
          sentence,
        };
      });
      const refused = rows.length - permitted.length;
      const report: {
        clientId: string;
        lang: Lang;
        title: string;
        generatedAt: string;
        accesses: typeof accesses;
        refusals?: { count: number; summary: string };
      } = { clientId, lang, title: words.title, generatedAt: new Date().toISOString(), accesses };
      if (switches.accessReportRefusals === 'summarise')
        report.refusals = { count: refused, summary: words.refusals(refused) };
      return {
        result: report,
        record: {
          action: 'read',
          resourceType: 'ClientAccessReport',
          clientId,
          custodianPartnerId: access.principal.partnerId,
          decision: 'permit',
          reason: `access report produced (${lang})`,
          disclosed: { entries: accesses.map((a) => a.entryId) },
        },
      };
    });
  }

  html(report: Awaited<ReturnType<AccessReportService['report']>>): string {
    const escape = (s: string) =>
      s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
    const items = report.accesses
      .map((a) => `<li${a.override ? ' class="override"' : ''}>${escape(a.sentence)}</li>`)
      .join('\n');
    return `<!doctype html><html lang="${report.lang}"><head><meta charset="utf-8"><title>${escape(report.title)}</title>
<style>body{font-family:sans-serif;max-width:48rem;margin:2rem auto;line-height:1.5}li{margin:.5rem 0}.override{font-weight:bold}@media print{body{margin:0}}</style></head>
<body><h1>${escape(report.title)}</h1><ol>${items}</ol>${report.refusals ? `<p>${escape(report.refusals.summary)}</p>` : ''}<p><small>${escape(report.generatedAt)}</small></p></body></html>`;
  }

  /** A professional registers, on the client's behalf, that the client contests an access: it becomes a review item. */
  async contest(access: AccessContext, clientId: string, entryId: string, note: string) {
    return this.accessLog.audited(access, async (manager) => {
      await this.requireHolder(manager, access, clientId, 'create');
      const [entry] = (await manager.query(
        'SELECT id, partner_id FROM access_log_entry WHERE id = $1 AND client_ref = $2',
        [entryId, this.accessLog.pseudonym(clientId)],
      )) as { id: string; partner_id: string }[];
      if (!entry)
        throw new ProblemException('validation-failed', 'No access to this client with that id', {
          errors: [{ pointer: '/entryId', detail: 'not an access to this client' }],
        });
      const item = await manager.save(
        manager.create(ReviewItem, {
          kind: 'contested-access',
          subjectId: entry.id,
          caseId: null,
          actorPartnerId: entry.partner_id,
          custodianPartnerId: access.principal.partnerId,
          summarySealed: this.crypto.cipher.seal({ entryId, note }),
          status: 'open',
        }),
      );
      await manager.save(manager.create(ReviewItemEntry, { reviewItemId: item.id, entryId: entry.id }));
      return {
        result: { reviewItemId: item.id, entryId, status: 'open' },
        record: {
          action: 'create',
          resourceType: 'ClientAccessReport',
          resourceId: item.id,
          clientId,
          custodianPartnerId: access.principal.partnerId,
          decision: 'permit',
          reason: 'client contests an access; review item opened',
          fields: ['contest'],
        },
      };
    });
  }
}
