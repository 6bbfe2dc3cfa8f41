/**
 * The kinds of organisation a partner can be (api-contract, partner registry). Vocabulary shared
 * by the partner registry, the policy language and consent recipients, so it lives below all three.
 */
export const PARTNER_TYPES = [
  'social-housing-company',
  'social-rental-agency',
  'caw',
  'outreach-team',
  'mobile-team',
  'housing-first-team',
  'ocmw',
  'general-practitioner',
  'mental-health-service',
  'other',
] as const;
export type PartnerType = (typeof PARTNER_TYPES)[number];
