import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '../common/problem/problem.js';
import { longer } from '../common/time/clock.js';
import { POLICY_SET } from './policy-engine.js';
import {
  fieldsOfCategories,
  type Assertable,
  type PolicySet,
  type ReferralReason,
  type RepresentativeCapacity,
  type RuleDefinition,
} from './policy-files.js';

/**
 * The network policy as vocabulary: which purposes, roles, professions, categories, switches and
 * programmes exist, and what a rule says. What every capability may consult; deciding is the
 * access kernel's (src/access), through the engine.
 */
@Injectable()
export class PolicyService {
  constructor(@Inject(POLICY_SET) readonly policy: PolicySet) {}

  get version(): string {
    return this.policy.version;
  }

  /** The fields of these categories, in the policy's order. */
  fieldsOf(categories: readonly string[]): string[] {
    return fieldsOfCategories(this.policy, categories);
  }

  isKnownRole(role: string): boolean {
    return this.policy.roles.some((r) => r.id === role);
  }

  /** Roles that carry network-wide powers (roles.yaml `networkWide`): only the operator's tokens may name them. */
  isNetworkWideRole(role: string): boolean {
    return this.policy.roles.some((r) => r.id === role && r.networkWide === true);
  }

  isKnownPurpose(purpose: string): boolean {
    return this.policy.purposes.some((p) => p.id === purpose);
  }

  isKnownProfession(profession: string): boolean {
    return this.policy.professions.includes(profession);
  }

  /** A programme named in a request must be one of the network's (network.yaml); 400 otherwise. */
  requireKnownProgramme(programme: string | undefined): void {
    if (programme !== undefined && !this.policy.programmes.includes(programme)) {
      throw new ProblemException('validation-failed', 'Unknown programme', {
        errors: [
          {
            pointer: '/programme',
            detail: `not one of the network's programmes: ${this.policy.programmes.join(', ')}`,
          },
        ],
      });
    }
  }

  /**
   * The most a partner of this type may assert (partner-trust.yaml): the operator's entry for the
   * network operator, else its type's row. An unknown type gets nothing (fail closed).
   */
  assertableFor(partnerType: string, operator: boolean): Assertable {
    const { types } = this.policy.partnerTrust;
    // hasOwn: a type named like an Object.prototype member must not find one.
    const row = operator
      ? this.policy.partnerTrust.operator
      : Object.hasOwn(types, partnerType)
        ? types[partnerType]
        : undefined;
    return row ? { roles: [...row.roles], professions: [...row.professions] } : { roles: [], professions: [] };
  }

  /**
   * A partner type has a care mission when its staff may hold a profession bound by professional
   * secrecy (partner-trust.yaml, roles.yaml): only those belong in a circle of care. Housing
   * partners and `other` do not.
   */
  hasCareMission(partnerType: string): boolean {
    const row = Object.hasOwn(this.policy.partnerTrust.types, partnerType)
      ? this.policy.partnerTrust.types[partnerType]
      : undefined;
    return Boolean(row?.professions.some((p) => this.policy.professionalSecrecy.includes(p)));
  }

  /** Whether this partner type's staff may hold this profession (partner-trust.yaml). */
  mayHoldProfession(partnerType: string, profession: string): boolean {
    const row = Object.hasOwn(this.policy.partnerTrust.types, partnerType)
      ? this.policy.partnerTrust.types[partnerType]
      : undefined;
    return Boolean(row?.professions.includes(profession));
  }

  isProfessionalSecrecy(profession: string): boolean {
    return this.policy.professionalSecrecy.includes(profession);
  }

  /** The special-category (art. 9) categories a permit rule would open to this partner type on a case for this purpose. */
  specialCategoriesOpened(partnerType: string, purpose: string): string[] {
    const special = new Set(this.policy.categories.filter((c) => c.special).map((c) => c.id));
    const opened = this.policy.rules
      .filter(
        (r) =>
          r.effect !== 'deny' &&
          r.subject === 'Case' &&
          r.actions.includes('read') &&
          r.purposes.includes(purpose) &&
          (!r.partnerTypes || r.partnerTypes.includes(partnerType)) &&
          r.when?.breakTheGlass === undefined &&
          r.when?.ownOrganisation === undefined,
      )
      .flatMap((r) => r.categories ?? []);
    return [...new Set(opened)].filter((c) => special.has(c));
  }

  /**
   * How long data about a client is kept after its last use on these subjects: the longest
   * retention (purposes.yaml, counted from the case's closing or the referral's decision) among the
   * purposes the rules use on them.
   */
  retentionFor(subjects: string[]): string {
    const purposes = new Set(
      this.policy.rules.filter((r) => r.effect !== 'deny' && subjects.includes(r.subject)).flatMap((r) => r.purposes),
    );
    return this.policy.purposes
      .filter((p) => purposes.has(p.id))
      .map((p) => p.retention)
      .reduce((a, b) => longer(a, b), 'P0D');
  }

  /** A legal representative's capacity (representatives.yaml), or undefined for an unknown one. */
  representativeCapacity(id: string): RepresentativeCapacity | undefined {
    return this.policy.representatives.find((c) => c.id === id);
  }

  /** A reason code a team may give for this referral decision (referral-reasons.yaml), or undefined. */
  referralReason(id: string, decision?: 'redirect' | 'decline'): ReferralReason | undefined {
    return this.policy.referralReasons.find((r) => r.id === id && (!decision || r.decisions.includes(decision)));
  }

  /** A rule as written (its conditions, ground, review), or undefined for an unknown id. */
  ruleDefinition(id: string): RuleDefinition | undefined {
    return this.policy.rules.find((r) => r.id === id);
  }
}
