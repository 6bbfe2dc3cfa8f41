import type { Assertable } from '../policies/policy-files.js';
import type { PolicyService } from '../policies/policy.service.js';
import type { Partner } from './partner.entity.js';

/**
 * What this partner's tokens may carry today: its type's row in policies/partner-trust.yaml (the
 * operator's entry for the operator), narrowed by the partner's registered lists. Intersected at
 * every call rather than trusted as stored, so a registration can never end up wider than the
 * policy, also after the policy file is narrowed.
 */
export function assertableBy(
  partner: Pick<Partner, 'type' | 'operator' | 'allowedRoles' | 'allowedProfessions'>,
  policy: Pick<PolicyService, 'assertableFor'>,
): Assertable {
  const ceiling = policy.assertableFor(partner.type, partner.operator);
  const narrowed = (all: string[], registered: string[] | null) =>
    registered ? all.filter((value) => registered.includes(value)) : all;
  return {
    roles: narrowed(ceiling.roles, partner.allowedRoles),
    professions: narrowed(ceiling.professions, partner.allowedProfessions),
  };
}
