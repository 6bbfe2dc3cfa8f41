import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { Agreement, AgreementParty } from '../agreements/agreement.entity.js';
import { Partner, type PartnerType, type PublicJwk } from '../partner.entity.js';
import { ensureDevKeys } from './dev-keys.js';

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

/**
 * Seeds the demo partners once. A partner that exists is left as it is, except that a dev key
 * made on this machine is added to its key set when missing (e.g. after the data dir was reset).
 */
export async function seedDemoPartners(dataSource: DataSource, dataDir: string, logger: Logger): Promise<void> {
  const keys = await ensureDevKeys(
    dataDir,
    DEMO_PARTNERS.map((p) => p.id),
  );
  const repository = dataSource.getRepository(Partner);
  let created = 0;
  for (const demo of DEMO_PARTNERS) {
    const publicJwk = keys[demo.id].publicJwk as PublicJwk;
    const existing = await repository.findOneBy({ id: demo.id });
    if (!existing) {
      await repository.save(
        repository.create({
          ...demo,
          operator: demo.operator ?? false,
          issuer: demoIssuer(demo.id),
          jwks: { keys: [publicJwk] },
          jwksUri: null,
          status: 'active',
        }),
      );
      created += 1;
      continue;
    }
    if (demo.operator && !existing.operator && !(await repository.existsBy({ operator: true }))) {
      // A demo network made before the operator flag existed: its operator is marked once.
      await repository.update({ id: demo.id }, { operator: true });
      existing.operator = true;
    }
    if (existing.jwks && !existing.jwks.keys.some((key) => key.kid === publicJwk.kid)) {
      existing.jwks = { keys: [...existing.jwks.keys, publicJwk] };
      await repository.save(existing);
    }
  }
  // Agreements only with a freshly seeded network: never recreated after an operator removed or ended them.
  if (created === DEMO_PARTNERS.length) {
    await dataSource.transaction(async (manager) => {
      for (const demo of DEMO_AGREEMENTS) {
        const agreement = await manager.save(
          manager.create(Agreement, {
            title: demo.title,
            purposes: demo.purposes,
            validFrom: '2026-01-01',
            validUntil: null,
            documentReference: null,
          }),
        );
        await manager.insert(
          AgreementParty,
          demo.partnerIds.map((partnerId) => ({ agreementId: agreement.id, partnerId })),
        );
      }
    });
  }
  if (created > 0)
    logger.info(
      { created, agreements: created === DEMO_PARTNERS.length ? DEMO_AGREEMENTS.length : 0 },
      'seeded demo partners',
    );
}
