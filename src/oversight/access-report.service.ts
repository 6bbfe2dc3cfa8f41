import { Inject, Injectable } from '@nestjs/common';
import { AccessLogService, type AccessLogEntry } from '../access-log/access-log.service.js';
import type { AccessContext } from '../access/access-context.js';
import { AccessService, type AccessTransaction } from '../access/access.service.js';
import { ClientsService } from '../clients/clients.service.js';
import { CRYPTO, type Crypto } from '../common/crypto/crypto.module.js';
import { ProblemException } from '../common/problem/problem.js';
import { ConsentService } from '../consent/consent.service.js';
import { PartnersService } from '../partners/partners.service.js';
import { PolicyService } from '../policies/policy.service.js';
import { ReviewsRepository } from './reviews.repository.js';

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
  /** "Informed, no objection" as the basis that was relied on. */
  informed: string;
  /** What recording a consent record did, told as what it was (never "with your consent"). */
  recorded: {
    permit: string;
    deny: string;
    'informed-no-objection': string;
    withdrawn: string;
    representative: string;
  };
  override: string;
  /** A contest the client made of an access, and the privacy officer's verdict. */
  contest: (on: string, outcome: 'open' | 'justified' | 'not-justified') => string;
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
      delete: 'wiste',
    },
    purpose: 'met als doel:',
    basis: 'rechtsgrond',
    consent: 'met uw toestemming van',
    informed: 'nadat u werd ingelicht en geen bezwaar maakte, op',
    recorded: {
      permit: 'legde uw toestemming vast',
      deny: 'legde uw bezwaar vast',
      'informed-no-objection': 'legde vast dat u werd ingelicht en geen bezwaar maakte',
      withdrawn: 'legde de intrekking van uw toestemming vast',
      representative: 'gegeven door uw wettelijke vertegenwoordiger',
    },
    override: 'NOODTOEGANG (achteraf gecontroleerd)',
    contest: (on, outcome) =>
      `U betwistte deze toegang op ${on}; ${
        outcome === 'open'
          ? 'de functionaris voor gegevensbescherming heeft nog niet geoordeeld'
          : outcome === 'justified'
            ? 'de functionaris voor gegevensbescherming oordeelde dat ze gerechtvaardigd was'
            : 'de functionaris voor gegevensbescherming oordeelde dat ze niet gerechtvaardigd was'
      }.`,
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
      delete: 'a effacé',
    },
    purpose: 'dans le but :',
    basis: 'base légale',
    consent: 'avec votre consentement du',
    informed: 'après que vous avez été informé(e) sans vous y opposer, le',
    recorded: {
      permit: 'a enregistré votre consentement',
      deny: 'a enregistré votre opposition',
      'informed-no-objection': 'a enregistré que vous avez été informé(e) et ne vous y êtes pas opposé(e)',
      withdrawn: 'a enregistré le retrait de votre consentement',
      representative: 'donné par votre représentant légal',
    },
    override: "ACCÈS D'URGENCE (contrôlé a posteriori)",
    contest: (on, outcome) =>
      `Vous avez contesté cet accès le ${on} ; ${
        outcome === 'open'
          ? "le délégué à la protection des données ne s'est pas encore prononcé"
          : outcome === 'justified'
            ? "le délégué à la protection des données l'a jugé justifié"
            : "le délégué à la protection des données l'a jugé non justifié"
      }.`,
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
      delete: 'erased',
    },
    purpose: 'for this purpose:',
    basis: 'legal basis',
    consent: 'with your consent of',
    informed: 'after you were informed and did not object, on',
    recorded: {
      permit: 'recorded your consent',
      deny: 'recorded your objection',
      'informed-no-objection': 'recorded that you were informed and did not object',
      withdrawn: 'recorded the withdrawal of your consent',
      representative: 'given by your legal representative',
    },
    override: 'EMERGENCY ACCESS (reviewed afterwards)',
    contest: (on, outcome) =>
      `You contested this access on ${on}; ${
        outcome === 'open'
          ? 'the data protection officer has not judged it yet'
          : outcome === 'justified'
            ? 'the data protection officer judged it justified'
            : 'the data protection officer judged it not justified'
      }.`,
    justification: 'justification',
    employee: 'employee',
    refusals: (n) => `${n} attempt(s) to access your data were refused.`,
    none: 'follow-up data',
    title: 'Who looked at your data, and why',
  },
};

/**
 * The client's access report (GDPR art. 15): every access to their file, by organisation and
 * role, in a sentence a person understands, and only what the log truly holds: the categories
 * that were read or written, the ground that was relied on, and a consent's date only where a
 * consent was relied on. Records merged into this one bring their history. Overrides are marked,
 * with the justification of the emergency grant. The network decides (policies/network.yaml)
 * whether users are named or pseudonymised and whether refusals are summarised or left out.
 */
@Injectable()
export class AccessReportService {
  constructor(
    private readonly access: AccessService,
    private readonly accessLog: AccessLogService,
    private readonly policy: PolicyService,
    private readonly clients: ClientsService,
    private readonly consents: ConsentService,
    private readonly partners: PartnersService,
    private readonly reviews: ReviewsRepository,
    @Inject(CRYPTO) private readonly crypto: Crypto,
  ) {}

  /** The holding team, its privacy officer, or the network operator's (rules *-subject-access). */
  private async requireHolder(tx: AccessTransaction, clientId: string, action: string) {
    const loaded = await this.clients.facts(tx.manager, tx.context, clientId, 'ClientAccessReport');
    if (!loaded.record) return tx.notFound(loaded.subject, action, 'no such client');
    return tx.require({ subject: loaded.subject, action, facts: { ...loaded.facts, visible: true } });
  }

  private categoriesOf(entry: AccessLogEntry): string[] {
    // Format 2 records the categories read or written; format 1 only field names.
    if (entry.format >= 2) return entry.categories;
    return this.access.categoriesOfFields(entry.fields);
  }

  async report(access: AccessContext, clientId: string, lang: Lang) {
    return this.access.run(access, async (tx) => {
      const decision = await this.requireHolder(tx, clientId, 'read');
      const manager = tx.manager;
      const family = await this.clients.historyOf(manager, clientId);
      const rows = await this.accessLog.entriesAbout(manager, family);
      const switches = this.policy.policy.switches;
      const names = await this.partners.names();
      const consents = await this.consents.summariesOf(manager, family);
      const overrides = rows.filter((r) => r.decision === 'permit' && r.override);
      const summaries = await this.reviews.emergencySummaries(
        manager,
        overrides.map((r) => ({ entryId: r.id, grantId: r.grantId })),
      );
      const justifications = new Map(
        [...summaries].map(([entryId, sealed]) => [
          entryId,
          this.crypto.cipher.open<{ justification?: string }>(sealed).justification ?? null,
        ]),
      );
      const contests = await this.reviews.contestsOf(
        manager,
        rows.map((r) => r.id),
      );
      const words = WORDS[lang];
      const date = (d: Date | string) =>
        new Intl.DateTimeFormat(lang === 'en' ? 'en-GB' : `${lang}-BE`, {
          day: 'numeric',
          month: 'long',
          year: 'numeric',
        }).format(new Date(d));
      const list = (items: string[]) => new Intl.ListFormat(lang, { style: 'long', type: 'conjunction' }).format(items);
      const permitted = rows.filter((r) => r.decision === 'permit');
      const accesses = permitted.map((r) => {
        const purpose = this.policy.policy.purposes.find((p) => p.id === r.purpose);
        const categories = this.categoriesOf(r);
        const organisation = names.get(r.partnerId) ?? r.partnerId;
        // In the client's language: role and category labels from policies/, joined as a person would say them.
        const role = r.roles
          .map((id) => this.policy.policy.roles.find((x) => x.id === id)?.label[lang] ?? id)
          .join(', ');
        const said = list(
          categories.map((id) => this.policy.policy.categories.find((c) => c.id === id)?.label[lang] ?? id),
        );
        const user = switches.accessReportNamesUsers
          ? r.userSub
          : `${words.employee} ${this.accessLog.pseudonym(`user:${r.partnerId}:${r.userSub}`).slice(0, 8)}`;
        const justification = r.override ? (justifications.get(r.id) ?? null) : null;
        // The client learns the outcome of their contest: the verdict of the office that judged it.
        const contest = contests.get(r.id);
        const ground = r.format >= 2 ? r.ground : r.legalBasis;
        const reliedOn = r.format >= 2 ? r.consentIds : r.consentId ? [r.consentId] : [];
        // A consent is named only where one was relied on, and as what it was.
        const given = reliedOn.map((id) => consents.get(id)).filter((c) => c !== undefined);
        const permits = given.filter((c) => c.effect === 'permit').map((c) => date(c.validFrom));
        const informed = given.filter((c) => c.effect === 'informed-no-objection').map((c) => date(c.validFrom));
        const basisOfConsent = [
          ...(permits.length ? [`${words.consent} ${list([...new Set(permits)])}`] : []),
          ...(informed.length ? [`${words.informed} ${list([...new Set(informed)])}`] : []),
        ];
        // Recording a consent record is told as what it recorded, never "with your consent".
        const recorded = r.resourceType === 'Consent' && r.resourceId ? consents.get(r.resourceId) : undefined;
        const what = recorded
          ? `${r.action === 'update' ? words.recorded.withdrawn : words.recorded[recorded.effect]}${recorded.givenBy === 'legal-representative' ? ` (${words.recorded.representative})` : ''}`
          : `${words.verbs[r.action] ?? r.action} ${categories.length ? said : words.none}`;
        const sentence =
          `${date(r.occurredAt)}: ${organisation} (${role}, ${user}) ${what} ` +
          `${words.purpose} ${purpose ? lowerFirst(purpose.description[lang].replace(/\.$/, '')) : r.purpose}` +
          `${basisOfConsent.length ? `, ${basisOfConsent.join(', ')}` : ''}${ground ? ` (${words.basis}: ${legalBasisIn(lang, ground)})` : ''}.` +
          `${r.override ? ` ${words.override}${justification ? ` — ${words.justification}: “${justification}”` : ''}.` : ''}` +
          `${contest ? ` ${words.contest(date(contest.createdAt), contest.verdict ?? 'open')}` : ''}`;
        return {
          entryId: r.id,
          // The proof that this access is in the log (X-Purpose: subject-access; verify offline).
          receipt: `/v1/access-log/entries/${r.id}/receipt?client=${clientId}`,
          at: new Date(r.occurredAt).toISOString(),
          organisation,
          partnerId: r.partnerId,
          roles: r.roles,
          user,
          action: r.action,
          categories,
          purpose: r.purpose,
          legalBasis: ground,
          consentGivenOn: given[0]?.validFrom ?? null,
          override: r.override,
          justification,
          contest: contest
            ? {
                contestedAt: contest.createdAt.toISOString(),
                status: contest.status,
                verdict: contest.verdict,
                judgedAt: contest.resolvedAt?.toISOString() ?? null,
              }
            : null,
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
      return tx.complete(report, decision, {
        reason: `access report produced (${lang})`,
        disclosed: { entries: accesses.map((a) => a.entryId) },
      });
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
    return this.access.run(access, async (tx) => {
      const decision = await this.requireHolder(tx, clientId, 'create');
      const family = await this.clients.historyOf(tx.manager, clientId);
      const entry = await this.accessLog.findEntryAbout(tx.manager, entryId, family);
      if (!entry)
        throw new ProblemException('validation-failed', 'No access to this client with that id', {
          errors: [{ pointer: '/entryId', detail: 'not an access to this client' }],
        });
      const item = await this.reviews.insert(tx.manager, {
        kind: 'contested-access',
        subjectId: entry.id,
        caseId: null,
        clientId,
        actorPartnerId: entry.partnerId,
        custodianPartnerId: access.principal.partnerId,
        summarySealed: this.crypto.cipher.seal({ entryId, note }),
        status: 'open',
      });
      await this.accessLog.putBehind(tx.manager, item.id, [entry.id]);
      return tx.complete({ reviewItemId: item.id, entryId, status: 'open' }, decision, {
        resourceId: item.id,
        reason: 'client contests an access; review item opened',
        written: ['contest'],
      });
    });
  }
}
