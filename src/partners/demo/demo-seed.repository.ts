import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { Agreement, AgreementParty } from '../agreements/agreement.entity.js';
import { Partner, type PublicJwk } from '../partner.entity.js';
import { DEMO_AGREEMENTS, DEMO_PARTNERS, demoIssuer } from './demo-partners.js';
import { ensureDevKeys } from './dev-keys.js';

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
