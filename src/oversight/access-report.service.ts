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
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { Inject } from '@nestjs/common';

export type Lang = 'nl' | 'fr' | 'en';

interface Words {
  verbs: Record<string, string>;
  data: string;
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
  nl: { verbs: { read: 'raadpleegde', create: 'registreerde', update: 'wijzigde', decide: 'besliste over', merge: 'voegde samen', export: 'exporteerde' }, data: 'uw gegevens', purpose: 'om', basis: 'rechtsgrond', consent: 'met uw toestemming van', override: 'NOODTOEGANG (achteraf gecontroleerd)', justification: 'reden', employee: 'medewerker', refusals: (n) => `${n} poging(en) tot inzage werden geweigerd.`, none: 'gegevens over de opvolging', title: 'Wie bekeek uw gegevens, en waarom' },
  fr: { verbs: { read: 'a consulté', create: 'a enregistré', update: 'a modifié', decide: 'a décidé sur', merge: 'a fusionné', export: 'a exporté' }, data: 'vos données', purpose: 'pour', basis: 'base légale', consent: 'avec votre consentement du', override: "ACCÈS D'URGENCE (contrôlé a posteriori)", justification: 'motif', employee: 'collaborateur', refusals: (n) => `${n} tentative(s) d'accès ont été refusées.`, none: 'des données de suivi', title: 'Qui a consulté vos données, et pourquoi' },
  en: { verbs: { read: 'read', create: 'recorded', update: 'changed', decide: 'decided on', merge: 'merged', export: 'exported' }, data: 'your data', purpose: 'to', basis: 'legal basis', consent: 'with your consent of', override: 'EMERGENCY ACCESS (reviewed afterwards)', justification: 'justification', employee: 'employee', refusals: (n) => `${n} attempt(s) to access your data were refused.`, none: 'follow-up data', title: 'Who looked at your data, and why' },
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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private async requireHolder(manager: EntityManager, access: AccessContext, clientId: string, action: string) {
    const client = await manager.findOneBy(Client, { id: clientId });
    // The network operator's privacy officer answers access requests for the whole network.
    const networkOfficer = access.principal.partnerId === this.config.networkOperatorPartnerId && access.principal.roles.includes('privacy-officer');
    const own = client?.custodianPartnerId === access.principal.partnerId || (Boolean(client) && networkOfficer);
    const decision = this.policy.authorize({ partnerType: access.principal.partnerType, roles: access.principal.roles, purpose: access.purpose, action, resourceType: 'ClientAccessReport', facts: { ownOrganisation: own } });
    if (!client || !own || decision.decision === 'deny') {
      throw new AccessRefused({ action, resourceType: 'ClientAccessReport', clientId: client ? clientId : null, reason: 'not the team that holds this client' }, new ProblemException('not-found', 'Client not found or no access'));
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
      const rows: { id: string; occurred_at: Date; partner_id: string; user_sub: string; roles: string[]; action: string; purpose: string; legal_basis: string | null; consent_id: string | null; decision: string; fields: string[]; override: boolean; justification_sealed: string | null }[] = await manager.query(
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
      const date = (d: Date) => new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : `${lang}-BE`, { day: 'numeric', month: 'long', year: 'numeric' }).format(d);
      const permitted = rows.filter((r) => r.decision === 'permit');
      const accesses = permitted.map((r) => {
        const purpose = this.policy.policy.purposes.find((p) => p.id === r.purpose);
        const categories = this.categoriesOf(r.fields);
        const organisation = partners.get(r.partner_id) ?? r.partner_id;
        const role = r.roles.join(', ');
        const user = switches.accessReportNamesUsers ? r.user_sub : `${words.employee} ${this.accessLog.pseudonym(`user:${r.partner_id}:${r.user_sub}`).slice(0, 8)}`;
        const justification = r.override && r.justification_sealed ? this.crypto.cipher.open<string>(r.justification_sealed) : null;
        const consentDate = r.consent_id ? consents.get(r.consent_id) : undefined;
        const sentence =
          `${date(new Date(r.occurred_at))}: ${organisation} (${role}, ${user}) ${words.verbs[r.action] ?? r.action} ${categories.length ? `${words.data}: ${categories.join(', ')}` : words.none} ` +
          `${words.purpose} ${purpose ? purpose.description[lang].replace(/\.$/, '').toLowerCase() : r.purpose}` +
          `${consentDate ? `, ${words.consent} ${date(new Date(consentDate))}` : ''}${r.legal_basis ? ` (${words.basis}: ${r.legal_basis})` : ''}.` +
          `${r.override ? ` ${words.override}${justification ? ` — ${words.justification}: “${justification}”` : ''}.` : ''}`;
        return { entryId: r.id, at: new Date(r.occurred_at).toISOString(), organisation, partnerId: r.partner_id, roles: r.roles, user, action: r.action, categories, purpose: r.purpose, legalBasis: r.legal_basis, consentGivenOn: consentDate ?? null, override: r.override, justification, sentence };
      });
      const refused = rows.length - permitted.length;
      const report: { clientId: string; lang: Lang; title: string; generatedAt: string; accesses: typeof accesses; refusals?: { count: number; summary: string } } = { clientId, lang, title: words.title, generatedAt: new Date().toISOString(), accesses };
      if (switches.accessReportRefusals === 'summarise') report.refusals = { count: refused, summary: words.refusals(refused) };
      return {
        result: report,
        record: { action: 'read', resourceType: 'ClientAccessReport', clientId, custodianPartnerId: access.principal.partnerId, decision: 'permit', reason: `access report produced (${lang})`, disclosed: { entries: accesses.map((a) => a.entryId) } },
      };
    });
  }

  html(report: Awaited<ReturnType<AccessReportService['report']>>): string {
    const escape = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
    const items = report.accesses.map((a) => `<li${a.override ? ' class="override"' : ''}>${escape(a.sentence)}</li>`).join('\n');
    return `<!doctype html><html lang="${report.lang}"><head><meta charset="utf-8"><title>${escape(report.title)}</title>
<style>body{font-family:sans-serif;max-width:48rem;margin:2rem auto;line-height:1.5}li{margin:.5rem 0}.override{font-weight:bold}@media print{body{margin:0}}</style></head>
<body><h1>${escape(report.title)}</h1><ol>${items}</ol>${report.refusals ? `<p>${escape(report.refusals.summary)}</p>` : ''}<p><small>${escape(report.generatedAt)}</small></p></body></html>`;
  }

  /** A professional registers, on the client's behalf, that the client contests an access: it becomes a review item. */
  async contest(access: AccessContext, clientId: string, entryId: string, note: string) {
    return this.accessLog.audited(access, async (manager) => {
      await this.requireHolder(manager, access, clientId, 'create');
      const [entry] = (await manager.query('SELECT id, partner_id FROM access_log_entry WHERE id = $1 AND client_ref = $2', [entryId, this.accessLog.pseudonym(clientId)])) as { id: string; partner_id: string }[];
      if (!entry) throw new ProblemException('validation-failed', 'No access to this client with that id', { errors: [{ pointer: '/entryId', detail: 'not an access to this client' }] });
      const item = await manager.save(
        manager.create(ReviewItem, { kind: 'contested-access', subjectId: entry.id, caseId: null, actorPartnerId: entry.partner_id, custodianPartnerId: access.principal.partnerId, summarySealed: this.crypto.cipher.seal({ entryId, note }), status: 'open' }),
      );
      await manager.save(manager.create(ReviewItemEntry, { reviewItemId: item.id, entryId: entry.id }));
      return {
        result: { reviewItemId: item.id, entryId, status: 'open' },
        record: { action: 'create', resourceType: 'ClientAccessReport', resourceId: item.id, clientId, custodianPartnerId: access.principal.partnerId, decision: 'permit', reason: 'client contests an access; review item opened', fields: ['contest'] },
      };
    });
  }
}
