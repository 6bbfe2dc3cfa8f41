import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { ProblemException, type FieldError } from '../common/problem/problem.js';
import type { ExplainDto } from './dto/explain.dto.js';
import { PolicyEngineService, type AuthorizationResult } from './policy-engine.js';
import { policyVocabulary, type PolicyVocabulary } from './vocabulary.js';
import { FAMILY_REQUIRES_CONSENT } from './policy-files.js';

export interface RegisterEntry {
  purpose: string;
  description: Record<'nl' | 'fr' | 'en', string>;
  legalBasis: { article6: string; article9?: string };
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

  /** GDPR art. 30 record of processing, generated from the rules actually enforced. */
  register(): { controller: string; policyVersion: string; generatedAt: string; activities: RegisterEntry[] } {
    const p = this.policy.policy;
    const active = this.policy.activeRules().filter((r) => r.effect !== 'deny');
    const specials = new Set(p.categories.filter((c) => c.special).map((c) => c.id));
    return {
      controller:
        'The partners of the network, as joint controllers under their cooperation agreements; the network operator runs the gateway',
      policyVersion: p.version,
      generatedAt: new Date().toISOString(),
      activities: p.purposes.map((purpose) => {
        const forPurpose = active.filter((r) => r.purposes.includes(purpose.id));
        // Recipients are those who receive client data (rules that grant categories); a rule that
        // only lets a partner ask (an information request) discloses nothing by itself.
        const dataRules = forPurpose.filter((r) => r.categories);
        const rules = dataRules.length > 0 ? dataRules : forPurpose;
        const categories = [...new Set(rules.flatMap((r) => r.categories ?? []))];
        return {
          purpose: purpose.id,
          description: purpose.description,
          legalBasis: purpose.legalBasis,
          retention: purpose.retention,
          dataSubjects: purpose.dataSubjects ?? [],
          categories,
          specialCategories: categories.filter((c) => specials.has(c)),
          recipients: [...new Set(rules.flatMap((r) => r.partnerTypes ?? ['any registered partner']))],
          roles: [...new Set(rules.flatMap((r) => r.roles))],
        };
      }),
    };
  }

  registerMarkdown(lang: 'nl' | 'fr' | 'en' = 'en'): string {
    const record = this.register();
    // One table row per purpose; a '|' or line break inside a cell would break the table.
    const row = (cells: string[]) =>
      `| ${cells.map((c) => c.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ')).join(' | ')} |`;
    const lines = [
      '# Record of processing activities (GDPR art. 30)',
      '',
      `Controller: ${record.controller}.`,
      `Generated ${record.generatedAt} from policy ${record.policyVersion}.`,
      '',
      '| purpose | description | legal basis | data subjects | categories of data | special categories | recipients | retention |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...record.activities.map((a) =>
        row([
          a.purpose,
          a.description[lang],
          [a.legalBasis.article6, a.legalBasis.article9].filter(Boolean).join('; '),
          a.dataSubjects.join(', ') || '—',
          a.categories.join(', ') || '— (no client data)',
          a.specialCategories.join(', ') || '—',
          a.recipients.join(', '),
          a.retention,
        ]),
      ),
      '',
    ];
    return lines.join('\n');
  }
}
