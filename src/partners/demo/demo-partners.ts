import type { PartnerType } from '../../common/vocabulary/partner-types.js';

/** The demo network the quick start seeds; README, tests and integrators rely on these ids. */
export const DEMO_PARTNERS: {
  id: string;
  name: string;
  type: PartnerType;
  municipalities: string[];
  operator?: true;
}[] = [
  {
    id: 'demo-housing',
    name: 'Demo Sociale Huisvestingsmaatschappij',
    type: 'social-housing-company',
    municipalities: ['1050', '1060'],
  },
  {
    id: 'demo-rental-agency',
    name: 'Demo Sociaal Verhuurkantoor',
    type: 'social-rental-agency',
    municipalities: ['1050'],
  },
  { id: 'demo-caw', name: 'Demo CAW – Preventieve Woonbegeleiding', type: 'caw', municipalities: ['1050', '1060'] },
  { id: 'demo-outreach', name: 'Demo Aanklampend Team', type: 'outreach-team', municipalities: ['1050', '1060'] },
  { id: 'demo-ocmw', name: 'Demo OCMW / CPAS', type: 'ocmw', municipalities: ['1050'] },
  { id: 'demo-gp', name: 'Demo Huisartsenpraktijk', type: 'general-practitioner', municipalities: ['1050'] },
  { id: 'gateway-operator', name: 'Gateway Operator (network)', type: 'other', municipalities: [], operator: true },
];

/**
 * The demo network's cooperation agreements, so the quick start can walk the care path at once:
 * housing partners (and the OCMW) refer to the outreach team, which works with the CAW and the GP.
 */
export const DEMO_AGREEMENTS: { title: string; partnerIds: string[]; purposes: string[] }[] = [
  {
    title: 'Demo: aanmeldingen sociale huisvesting',
    partnerIds: ['demo-housing', 'demo-outreach'],
    purposes: ['referral', 'eviction-prevention'],
  },
  {
    title: 'Demo: aanmeldingen sociaal verhuurkantoor',
    partnerIds: ['demo-rental-agency', 'demo-outreach'],
    purposes: ['referral', 'eviction-prevention'],
  },
  {
    title: 'Demo: OCMW en aanklampend team',
    partnerIds: ['demo-ocmw', 'demo-outreach'],
    purposes: ['referral', 'eviction-prevention', 'case-consultation'],
  },
  {
    title: 'Demo: duobegeleiding met het CAW',
    partnerIds: ['demo-caw', 'demo-outreach'],
    purposes: ['duo-follow-up', 'eviction-prevention', 'case-consultation'],
  },
  {
    title: 'Demo: huisarts en aanklampend team',
    partnerIds: ['demo-gp', 'demo-outreach'],
    purposes: ['care-coordination', 'case-consultation', 'warm-handover'],
  },
];

export function demoIssuer(partnerId: string): string {
  return `https://idp.${partnerId}.demo.invalid`;
}
