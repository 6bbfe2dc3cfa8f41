import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { DataSource } from 'typeorm';
import type { PublicJwk } from '../../src/partners/partner.entity.js';
import { PartnersRepository } from '../../src/partners/partners.repository.js';

/** A partner of the bench network: its id, issuer and a key to sign its users' tokens with. */
export interface BenchPartner {
  id: string;
  issuer: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: PublicJwk;
}

async function newPartner(id: string): Promise<BenchPartner> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `${id}-k1`;
  return {
    id,
    issuer: `https://idp.${id}.bench.invalid`,
    kid,
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } as PublicJwk,
  };
}

export function token(
  partner: BenchPartner,
  audience: string,
  claims: { roles: string[]; sub: string; profession?: string },
  lifetimeSeconds = 3000,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims, iss: partner.issuer, aud: audience, iat: now, exp: now + lifetimeSeconds })
    .setProtectedHeader({ alg: 'ES256', kid: partner.kid, typ: 'JWT' })
    .sign(partner.privateKey);
}

export interface Seeded {
  caseId: string;
  clientId: string;
  partners: { operator: string; housing: string; outreach: string; caw: string };
  /** Tokens for the measured rows, valid for the whole run. */
  tokens: { caseworker: string; referrer: string; pwb: string; officer: string };
}

/**
 * The bench network, made as a real one is: the operator registered with the database owner's
 * rights (as `npm run operator:register` does), everything else through the public API by the
 * operator's gateway administrator and the partners' own users: a housing company, the outreach
 * team and the CAW, their cooperation agreements, one referral accepted into a case with a
 * contact attempt, a care plan, notes, the CAW in the circle of care and the client's consent.
 */
export async function seedNetwork(baseUrl: string, dataSource: DataSource, audience: string): Promise<Seeded> {
  const [operator, housing, outreach, caw] = await Promise.all(
    ['bench-operator', 'bench-housing', 'bench-outreach', 'bench-caw'].map(newPartner),
  );
  await new PartnersRepository(dataSource).registerOperator({
    id: operator.id,
    name: 'Bench network operator',
    issuer: operator.issuer,
    jwks: { keys: [operator.publicJwk] },
    jwksUri: null,
  });

  const call = async (
    bearer: string,
    purpose: string,
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> => {
    const response = await fetch(baseUrl + path, {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        'x-purpose': purpose,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`seeding: ${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
  };

  const admin = await token(operator, audience, { roles: ['gateway-admin'], sub: 'bench-admin' });
  const partnerTypes: [BenchPartner, string][] = [
    [housing, 'social-housing-company'],
    [outreach, 'outreach-team'],
    [caw, 'caw'],
  ];
  for (const [partner, type] of partnerTypes) {
    await call(admin, 'administration', 'POST', '/v1/partners', {
      id: partner.id,
      name: `Bench ${type}`,
      type,
      municipalities: ['1050'],
      issuer: partner.issuer,
      jwks: { keys: [partner.publicJwk] },
    });
  }
  const agreements: [string[], string[]][] = [
    [
      [housing.id, outreach.id],
      ['referral', 'eviction-prevention'],
    ],
    [
      [caw.id, outreach.id],
      ['duo-follow-up', 'case-consultation'],
    ],
  ];
  for (const [partnerIds, purposes] of agreements) {
    await call(admin, 'administration', 'POST', '/v1/agreements', {
      title: 'Bench cooperation agreement',
      partnerIds,
      purposes,
      validFrom: '2026-01-01',
    });
  }

  const tokens = {
    referrer: await token(housing, audience, { roles: ['referrer'], sub: 'bench-referrer' }),
    coordinator: await token(outreach, audience, {
      roles: ['coordinator', 'caseworker'],
      sub: 'bench-coordinator',
      profession: 'psychiatric-nurse',
    }),
    caseworker: await token(outreach, audience, {
      roles: ['caseworker'],
      sub: 'bench-caseworker',
      profession: 'psychiatric-nurse',
    }),
    pwb: await token(caw, audience, { roles: ['caseworker'], sub: 'bench-pwb', profession: 'social-worker' }),
    officer: await token(outreach, audience, { roles: ['privacy-officer'], sub: 'bench-dpo' }),
  };

  const referral = await call(tokens.referrer, 'referral', 'POST', '/v1/referrals', referralBody(outreach.id));
  const accepted = await call(tokens.coordinator, 'referral', 'POST', `/v1/referrals/${String(referral.id)}/decision`, {
    decision: 'accept',
  });
  const caseId = String(accepted.caseId);
  const clientId = String(
    (await call(tokens.coordinator, 'referral', 'GET', `/v1/referrals/${String(referral.id)}`)).clientId,
  );
  const coordination = (method: 'POST' | 'PUT', path: string, body: unknown) =>
    call(tokens.coordinator, 'care-coordination', method, path, body);
  await call(tokens.coordinator, 'outreach-contact', 'POST', `/v1/cases/${caseId}/contact-attempts`, {
    at: new Date().toISOString(),
    channel: 'home-visit',
    outcome: 'contact',
  });
  await coordination('PUT', `/v1/cases/${caseId}/care-plan`, {
    domains: [
      { domain: 'housing', goals: ['Huurachterstal afbetalen'], interventions: ['Afbetalingsplan met de SHM'] },
      { domain: 'health', goals: ['Contact met de huisarts herstellen'], interventions: ['Samen naar de huisarts'] },
    ],
    crisisPlan: 'Bij decompensatie: mobiel crisisteam bellen.',
    safetyFlags: ['visit-in-pairs'],
  });
  await coordination('POST', `/v1/cases/${caseId}/notes`, { category: 'safety', text: 'Grote hond, vooraf bellen.' });
  await coordination('POST', `/v1/cases/${caseId}/notes`, { category: 'health', text: 'Slaapt slecht, eet weinig.' });
  await coordination('POST', `/v1/cases/${caseId}/circle`, { partnerId: caw.id, purposes: ['duo-follow-up'] });
  await coordination('POST', `/v1/clients/${clientId}/consents`, {
    purposes: ['duo-follow-up'],
    recipients: [{ partnerId: caw.id }],
    categories: ['housing', 'social'],
    effect: 'permit',
    givenBy: { kind: 'client' },
    method: 'verbal',
    validFrom: '2026-01-01',
  });

  return {
    caseId,
    clientId,
    partners: { operator: operator.id, housing: housing.id, outreach: outreach.id, caw: caw.id },
    tokens: { caseworker: tokens.caseworker, referrer: tokens.referrer, pwb: tokens.pwb, officer: tokens.officer },
  };
}

/** A referral as a housing company sends it (each POST makes a new referral and client record). */
export function referralBody(targetPartnerId: string): Record<string, unknown> {
  return {
    targetPartnerId,
    tenant: { givenName: 'Anna', familyName: 'Peeters', phone: '+3225550100' },
    signals: ['hoarding', 'rent-arrears', 'withdrawal'],
    description: 'Huurachterstal en verzamelwoede, opent de deur niet.',
    evictionStage: 'considered',
    tenantInformed: 'yes',
    contact: { name: 'Els Janssens' },
  };
}
