import type { TestContext, TestPartner } from './test-context.js';

/** A small care network around one client, built through the public API as partners would. */
export interface CareNetwork {
  housing: TestPartner;
  outreach: TestPartner;
  caw: TestPartner;
  gp: TestPartner;
  referrer: string;
  coordinator: string;
  cawWorker: string;
  doctor: string;
  caseId: string;
  clientId: string;
  referralId: string;
  /** Records a consent (or objection) of the client and returns its id. */
  consent(body: Record<string, unknown>): Promise<string>;
  withdraw(consentId: string): Promise<{ status: number; body: any }>;
  readCase(
    token: string,
    purpose: string,
  ): Promise<{ status: number; headers: Record<string, unknown>; body: any; text: string }>;
}

export async function careNetwork(
  ctx: TestContext,
  tenant: Record<string, unknown> = { givenName: 'Ilse', phone: '+3225550123' },
): Promise<CareNetwork> {
  const housing = await ctx.newPartner({ type: 'social-housing-company' });
  const outreach = await ctx.newPartner({ type: 'outreach-team' });
  const caw = await ctx.newPartner({ type: 'caw' });
  const gp = await ctx.newPartner({ type: 'general-practitioner' });
  const admin = await (await ctx.operator()).token({ roles: ['gateway-admin'] });
  const agree = (partnerIds: string[], purposes: string[]) =>
    ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: admin,
      purpose: 'administration',
      body: { title: 'Agreement', partnerIds, purposes, validFrom: '2026-01-01' },
    });
  await agree([housing.id, outreach.id], ['referral']);
  await agree([caw.id, outreach.id], ['duo-follow-up']);
  await agree([gp.id, outreach.id], ['care-coordination', 'warm-handover']);
  const referrer = await housing.token({ roles: ['referrer'], sub: 'els' });
  const coordinator = await outreach.token({
    roles: ['coordinator', 'caseworker'],
    sub: 'coord',
    profession: 'psychologist',
  });
  const cawWorker = await caw.token({ roles: ['caseworker'], sub: 'pwb', profession: 'social-worker' });
  const doctor = await gp.token({ roles: ['caseworker'], sub: 'dr', profession: 'general-practitioner' });
  const referral = await ctx.request({
    method: 'POST',
    url: '/v1/referrals',
    token: referrer,
    purpose: 'referral',
    body: {
      targetPartnerId: outreach.id,
      tenant,
      signals: ['rent-arrears', 'withdrawal'],
      evictionStage: 'considered',
      tenantInformed: 'yes',
      contact: { name: 'Els' },
    },
  });
  if (referral.status !== 201) throw new Error(`referral: ${referral.status} ${referral.text}`);
  const accepted = await ctx.request({
    method: 'POST',
    url: `/v1/referrals/${referral.body.id}/decision`,
    token: coordinator,
    purpose: 'referral',
    body: { decision: 'accept' },
  });
  const caseId = accepted.body.caseId as string;
  const clientId = (
    await ctx.request({ url: `/v1/referrals/${referral.body.id}`, token: coordinator, purpose: 'referral' })
  ).body.clientId as string;
  for (const [partnerId, purposes] of [
    [caw.id, ['duo-follow-up']],
    [gp.id, ['care-coordination', 'warm-handover']],
  ] as const) {
    const added = await ctx.request({
      method: 'POST',
      url: `/v1/cases/${caseId}/circle`,
      token: coordinator,
      purpose: 'care-coordination',
      body: { partnerId, purposes },
    });
    if (added.status !== 201) throw new Error(`circle: ${added.status} ${added.text}`);
  }
  return {
    housing,
    outreach,
    caw,
    gp,
    referrer,
    coordinator,
    cawWorker,
    doctor,
    caseId,
    clientId,
    referralId: referral.body.id,
    async consent(body) {
      const response = await ctx.request({
        method: 'POST',
        url: `/v1/clients/${clientId}/consents`,
        token: coordinator,
        purpose: 'care-coordination',
        body: { givenBy: { kind: 'client' }, method: 'verbal', validFrom: '2026-01-01', effect: 'permit', ...body },
      });
      if (response.status !== 201) throw new Error(`consent: ${response.status} ${response.text}`);
      return response.body.id as string;
    },
    withdraw(consentId) {
      return ctx.request({
        method: 'POST',
        url: `/v1/consents/${consentId}/withdraw`,
        token: coordinator,
        purpose: 'care-coordination',
      });
    },
    readCase(token, purpose) {
      return ctx.request({ url: `/v1/cases/${caseId}`, token, purpose });
    },
  };
}
