import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ProblemException, type FieldError } from '../common/problem/problem.js';
import type { ExplainDto } from './dto/explain.dto.js';
import { PolicyEngineService, type AuthorizationResult } from './policy-engine.js';
import { policyVocabulary, type PolicyVocabulary } from './vocabulary.js';
import { FAMILY_REQUIRES_CONSENT } from './policy-files.js';

type Lang = 'nl' | 'fr' | 'en';

/** GDPR grounds by article, in the network's three languages (the record's `grounds`). */
const GROUND_WORDS: Record<string, Record<Lang, string>> = {
  '6(1)(a)': { nl: 'toestemming', fr: 'consentement', en: 'consent' },
  '6(1)(b)': { nl: 'overeenkomst', fr: 'contrat', en: 'contract' },
  '6(1)(c)': { nl: 'wettelijke verplichting', fr: 'obligation légale', en: 'legal obligation' },
  '6(1)(d)': { nl: 'vitaal belang', fr: 'intérêts vitaux', en: 'vital interests' },
  '6(1)(e)': { nl: 'taak van algemeen belang', fr: "mission d'intérêt public", en: 'task in the public interest' },
  '6(1)(f)': { nl: 'gerechtvaardigd belang', fr: 'intérêt légitime', en: 'legitimate interest' },
  '9(2)(a)': { nl: 'uitdrukkelijke toestemming', fr: 'consentement explicite', en: 'explicit consent' },
  '9(2)(c)': { nl: 'vitaal belang', fr: 'intérêts vitaux', en: 'vital interests' },
  '9(2)(g)': {
    nl: 'zwaarwegend algemeen belang',
    fr: "motif d'intérêt public important",
    en: 'substantial public interest',
  },
  '9(2)(h)': {
    nl: 'gezondheids- of sociale zorg onder beroepsgeheim',
    fr: 'soins de santé ou sociaux sous secret professionnel',
    en: 'health or social care under professional secrecy',
  },
};
const REGULATION: Record<Lang, string> = { nl: 'AVG', fr: 'RGPD', en: 'GDPR' };

/** The record's headings (art. 30(1)(a)–(g)) in the network's three languages. */
const TITLES: Record<Lang, Record<string, string>> = {
  en: {
    title: 'Record of processing activities (GDPR art. 30)',
    controllers: 'Controllers and data protection officers (art. 30(1)(a))',
    purpose: 'purpose (art. 30(1)(b))',
    description: 'description',
    legalBasis: 'legal basis',
    dataSubjects: 'data subjects (art. 30(1)(c))',
    categories: 'categories of data (art. 30(1)(c))',
    specialCategories: 'special categories and their art. 9 ground',
    recipients: 'recipients (art. 30(1)(d))',
    retention: 'retention (art. 30(1)(f))',
    transfers: 'Transfers to third countries (art. 30(1)(e))',
    security: 'Technical and organisational security measures (art. 30(1)(g))',
    noContact: 'no contact registered',
  },
  nl: {
    title: 'Register van verwerkingsactiviteiten (AVG art. 30)',
    controllers: 'Verwerkingsverantwoordelijken en functionarissen voor gegevensbescherming (art. 30(1)(a))',
    purpose: 'doel (art. 30(1)(b))',
    description: 'omschrijving',
    legalBasis: 'rechtsgrond',
    dataSubjects: 'betrokkenen (art. 30(1)(c))',
    categories: 'categorieën van gegevens (art. 30(1)(c))',
    specialCategories: 'bijzondere categorieën en hun grond (art. 9)',
    recipients: 'ontvangers (art. 30(1)(d))',
    retention: 'bewaartermijn (art. 30(1)(f))',
    transfers: 'Doorgifte naar derde landen (art. 30(1)(e))',
    security: 'Technische en organisatorische beveiligingsmaatregelen (art. 30(1)(g))',
    noContact: 'geen contact geregistreerd',
  },
  fr: {
    title: 'Registre des activités de traitement (RGPD art. 30)',
    controllers: 'Responsables du traitement et délégués à la protection des données (art. 30(1)(a))',
    purpose: 'finalité (art. 30(1)(b))',
    description: 'description',
    legalBasis: 'base juridique',
    dataSubjects: 'personnes concernées (art. 30(1)(c))',
    categories: 'catégories de données (art. 30(1)(c))',
    specialCategories: 'catégories particulières et leur motif (art. 9)',
    recipients: 'destinataires (art. 30(1)(d))',
    retention: 'durée de conservation (art. 30(1)(f))',
    transfers: 'Transferts vers des pays tiers (art. 30(1)(e))',
    security: 'Mesures de sécurité techniques et organisationnelles (art. 30(1)(g))',
    noContact: 'aucun contact enregistré',
  },
};

/** "6(1)(e) task in the public interest …" → [{ article, ground }] in the language asked. */
function groundsIn(lang: Lang, ...stored: (string | undefined)[]): { article: string; ground: string }[] {
  const articles = [
    ...new Set(
      stored.flatMap((text) => [...(text ?? '').matchAll(/\b(?:6\(1\)\([a-f]\)|9\(2\)\([a-j]\))/g)].map((m) => m[0])),
    ),
  ];
  return articles.map((article) => ({
    article: `${REGULATION[lang]} art. ${article}`,
    ground: GROUND_WORDS[article]?.[lang] ?? article,
  }));
}

/** A partner's controller and data protection officer, as registered (art. 30(1)(a)). */
export interface ControllerContact {
  partnerId: string;
  name: string;
  type: string;
  controller: { name: string; address: string; email?: string } | null;
  dpo: { name?: string; email: string; phone?: string } | null;
}

export interface RegisterEntry {
  purpose: string;
  description: Record<'nl' | 'fr' | 'en', string>;
  legalBasis: { article6: string; article9?: string };
  /** The grounds named in words, in the record's language. */
  grounds: { article: string; ground: string }[];
  /** Each special category with the art. 9 ground the rules granting it rely on. */
  specialCategoryGrounds: { category: string; article9: string[] }[];
  retention: string;
  dataSubjects: string[];
  categories: string[];
  specialCategories: string[];
  recipients: string[];
  roles: string[];
}

/** What privacy officers ask of the policy: a readable summary, "why?", and the GDPR art. 30 record. */
@Injectable()
export class PolicyOverviewService {
  private readonly vocabulary: PolicyVocabulary;

  constructor(
    private readonly policy: PolicyEngineService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.vocabulary = policyVocabulary(config.policiesDir);
  }

  summary() {
    const p = this.policy.policy;
    return {
      version: p.version,
      switches: p.switches,
      constants: { familyRequiresConsent: FAMILY_REQUIRES_CONSENT },
      purposes: p.purposes.map(({ id, description, legalBasis, retention }) => ({
        id,
        description,
        legalBasis,
        retention,
      })),
      roles: p.roles,
      categories: p.categories,
      rules: p.rules.map((r) => ({
        id: r.id,
        description: r.description ?? null,
        effect: r.effect ?? 'permit',
        active: this.policy.activeRules().some((a) => a.id === r.id),
        partnerTypes: r.partnerTypes ?? ['any'],
        roles: r.roles,
        actions: r.actions,
        subject: r.subject,
        purposes: r.purposes,
        categories: r.categories ?? [],
        requires: Object.keys(r.when ?? {}),
        review: r.review ?? null,
        source: r.source,
      })),
    };
  }

  explain(input: ExplainDto): AuthorizationResult & { explanation: string } {
    const p = this.policy.policy;
    const errors: FieldError[] = [];
    input.subject.roles.forEach(
      (role, i) =>
        !this.policy.isKnownRole(role) && errors.push({ pointer: `/subject/roles/${i}`, detail: 'unknown role' }),
    );
    if (input.subject.profession && !this.policy.isKnownProfession(input.subject.profession))
      errors.push({ pointer: '/subject/profession', detail: 'unknown profession' });
    if (!this.policy.isKnownPurpose(input.purpose)) errors.push({ pointer: '/purpose', detail: 'unknown purpose' });
    const categoryIds = new Set(p.categories.map((c) => c.id));
    for (const field of ['consent', 'informedNoObjection', 'objectedCategories', 'categories'] as const) {
      input[field]?.forEach(
        (c, i) => !categoryIds.has(c) && errors.push({ pointer: `/${field}/${i}`, detail: 'unknown category' }),
      );
    }
    if (!this.vocabulary.actions.includes(input.action))
      errors.push({ pointer: '/action', detail: `unknown action; one of ${this.vocabulary.actions.join(', ')}` });
    if (!this.vocabulary.subjects.includes(input.resource))
      errors.push({ pointer: '/resource', detail: 'unknown resource type' });
    if (errors.length > 0)
      throw new ProblemException(
        'validation-failed',
        'The question names things the policy does not know; see errors[]',
        { errors },
      );

    const result = this.policy.authorize({
      partnerType: input.subject.partnerType,
      roles: input.subject.roles,
      profession: input.subject.profession,
      purpose: input.purpose,
      action: input.action,
      resourceType: input.resource,
      facts: input.facts,
      consentedCategories: input.consent,
      informedNoObjectionCategories: input.informedNoObjection,
      objection: input.objection,
      objectedCategories: input.objectedCategories,
      categories: input.categories,
    });
    const who = `${input.subject.roles.join('/')} of a ${input.subject.partnerType}`;
    const explanation =
      result.decision === 'deny'
        ? `Refused${result.rule ? ` by rule ${result.rule.id} (${result.rule.file}:${result.rule.line})` : ''}: ${who} may not ${input.action} ${input.resource} for ${input.purpose}. ${result.withheld.map((w) => `${w.category}: ${w.reason}.`).join(' ')}`.trim()
        : `${result.decision === 'pending' ? "Pending the case coordinator's judgement of necessity" : 'Permitted'} by rule ${result.rule?.id} (${result.rule?.file}:${result.rule?.line}) for ${result.permittedCategories.join(', ') || 'this action'}` +
          (result.withheld.length ? `; withheld: ${result.withheld.map((w) => w.category).join(', ')}.` : '.');
    return { ...result, explanation };
  }

  /** GDPR art. 30 record of processing, generated from the rules actually enforced, in the language asked. */
  register(
    lang: Lang = 'en',
    controllers: ControllerContact[] = [],
  ): {
    lang: Lang;
    titles: Record<string, string>;
    controller: string;
    controllers: ControllerContact[];
    policyVersion: string;
    generatedAt: string;
    activities: RegisterEntry[];
    transfers: string;
    securityMeasures: string[];
  } {
    const p = this.policy.policy;
    const active = this.policy.activeRules().filter((r) => r.effect !== 'deny');
    const specials = new Set(p.categories.filter((c) => c.special).map((c) => c.id));
    return {
      lang,
      titles: TITLES[lang],
      controller:
        'The partners of the network, as joint controllers under their cooperation agreements; the network operator runs the gateway',
      controllers,
      policyVersion: p.version,
      generatedAt: new Date().toISOString(),
      activities: p.purposes.map((purpose) => {
        const forPurpose = active.filter((r) => r.purposes.includes(purpose.id));
        // Recipients are those who receive client data (rules that grant categories); a rule that
        // only lets a partner ask (an information request) discloses nothing by itself.
        const dataRules = forPurpose.filter((r) => r.categories);
        const rules = dataRules.length > 0 ? dataRules : forPurpose;
        const categories = [...new Set(rules.flatMap((r) => r.categories ?? []))];
        const special = categories.filter((c) => specials.has(c));
        // Every special category with the art. 9 ground its granting rules rely on (safety data too).
        const specialCategoryGrounds = special.map((category) => ({
          category,
          article9: [
            ...new Set(
              rules
                .filter((r) => r.categories?.includes(category))
                .map((r) => r.ground?.article9 ?? purpose.legalBasis.article9?.split(' ')[0])
                .filter((g): g is string => Boolean(g)),
            ),
          ],
        }));
        return {
          purpose: purpose.id,
          description: purpose.description,
          legalBasis: purpose.legalBasis,
          grounds: groundsIn(
            lang,
            purpose.legalBasis.article6,
            purpose.legalBasis.article9,
            ...specialCategoryGrounds.flatMap((s) => s.article9),
          ),
          specialCategoryGrounds,
          retention: purpose.retention,
          dataSubjects: purpose.dataSubjects ?? [],
          categories,
          specialCategories: special,
          recipients: [...new Set(rules.flatMap((r) => r.partnerTypes ?? ['any registered partner']))],
          roles: [...new Set(rules.flatMap((r) => r.roles))],
        };
      }),
      transfers: p.register.transfers[lang],
      securityMeasures: p.register.securityMeasures.map((m) => m[lang]),
    };
  }

  registerMarkdown(lang: Lang = 'en', controllers: ControllerContact[] = []): string {
    const record = this.register(lang, controllers);
    const t = record.titles;
    // One table row per purpose; a '|' or line break inside a cell would break the table.
    const row = (cells: string[]) =>
      `| ${cells.map((c) => c.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ')).join(' | ')} |`;
    const lines = [
      `# ${t.title}`,
      '',
      `${record.controller}.`,
      `Generated ${record.generatedAt} from policy ${record.policyVersion}.`,
      '',
      `## ${t.controllers}`,
      '',
      ...record.controllers.map(
        (c) =>
          `- ${c.name} (${c.partnerId}, ${c.type}): ${
            c.controller
              ? `${c.controller.name}, ${c.controller.address}${c.controller.email ? `, ${c.controller.email}` : ''}`
              : t.noContact
          }; DPO: ${c.dpo ? [c.dpo.name, c.dpo.email, c.dpo.phone].filter(Boolean).join(', ') : t.noContact}`,
      ),
      '',
      `| ${t.purpose} | ${t.description} | ${t.legalBasis} | ${t.dataSubjects} | ${t.categories} | ${t.specialCategories} | ${t.recipients} | ${t.retention} |`,
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...record.activities.map((a) =>
        row([
          a.purpose,
          a.description[lang],
          a.grounds.map((g) => `${g.article}: ${g.ground}`).join('; '),
          a.dataSubjects.join(', ') || '—',
          a.categories.join(', ') || '—',
          a.specialCategoryGrounds.map((s) => `${s.category} (art. ${s.article9.join(', ') || '?'})`).join(', ') || '—',
          a.recipients.join(', '),
          a.retention,
        ]),
      ),
      '',
      `## ${t.transfers}`,
      '',
      record.transfers,
      '',
      `## ${t.security}`,
      '',
      ...record.securityMeasures.map((m) => `- ${m}`),
      '',
    ];
    return lines.join('\n');
  }
}
