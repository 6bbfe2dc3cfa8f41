import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { Partner, type PartnerType, type PublicJwk } from '../partner.entity.js';
import { ensureDevKeys } from './dev-keys.js';

/** The demo network the quick start seeds; README, tests and integrators rely on these ids. */
export const DEMO_PARTNERS: { id: string; name: string; type: PartnerType; municipalities: string[] }[] = [
  { id: 'demo-housing', name: 'Demo Sociale Huisvestingsmaatschappij', type: 'social-housing-company', municipalities: ['1050', '1060'] },
  { id: 'demo-rental-agency', name: 'Demo Sociaal Verhuurkantoor', type: 'social-rental-agency', municipalities: ['1050'] },
  { id: 'demo-caw', name: 'Demo CAW – Preventieve Woonbegeleiding', type: 'caw', municipalities: ['1050', '1060'] },
  { id: 'demo-outreach', name: 'Demo Aanklampend Team', type: 'outreach-team', municipalities: ['1050', '1060'] },
  { id: 'demo-ocmw', name: 'Demo OCMW / CPAS', type: 'ocmw', municipalities: ['1050'] },
  { id: 'demo-gp', name: 'Demo Huisartsenpraktijk', type: 'general-practitioner', municipalities: ['1050'] },
  { id: 'gateway-operator', name: 'Gateway Operator (network)', type: 'other', municipalities: [] },
];

export function demoIssuer(partnerId: string): string {
  return `https://idp.${partnerId}.demo.invalid`;
}

/**
 * Seeds the demo partners once. A partner that exists is left as it is, except that a dev key
 * made on this machine is added to its key set when missing (e.g. after the data dir was reset).
 */
export async function seedDemoPartners(dataSource: DataSource, dataDir: string, logger: Logger): Promise<void> {
  const keys = await ensureDevKeys(dataDir, DEMO_PARTNERS.map((p) => p.id));
  const repository = dataSource.getRepository(Partner);
  let created = 0;
  for (const demo of DEMO_PARTNERS) {
    const publicJwk = keys[demo.id].publicJwk as PublicJwk;
    const existing = await repository.findOneBy({ id: demo.id });
    if (!existing) {
      await repository.save(repository.create({ ...demo, issuer: demoIssuer(demo.id), jwks: { keys: [publicJwk] }, jwksUri: null, status: 'active' }));
      created += 1;
    } else if (existing.jwks && !existing.jwks.keys.some((key) => key.kid === publicJwk.kid)) {
      existing.jwks = { keys: [...existing.jwks.keys, publicJwk] };
      await repository.save(existing);
    }
  }
  if (created > 0) logger.info({ created }, 'seeded demo partners');
}
