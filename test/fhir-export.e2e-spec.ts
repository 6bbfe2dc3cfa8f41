import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ChainService } from '../src/access-log/chain.service.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';
import { describeErrors, fhirErrors, type FhirType } from './support/fhir-schema.js';

const TENANT = { givenName: 'Wilhelmina', familyName: 'Oosterbroek', phone: '+3225550199' };
const REPRESENTATIVE = 'Gerarda Vanderstraeten';
const EVIDENCE_SHA256 = 'a3f1c2'.padEnd(64, '0');

/** Asserts `resource` is valid against HL7's R4 schema, naming the errors when it is not. */
function expectValid(type: FhirType, resource: unknown) {
  expect({ type, errors: describeErrors(fhirErrors(type, resource)) }).toEqual({ type, errors: [] });
}

const ndjsonOf = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

/**
 * Consents as FHIR Consent and the access log as FHIR AuditEvent, checked against the official
 * FHIR R4 JSON schema; a realistic case with a break-the-glass access, a refusal and a withdrawal.
 */
describe('FHIR R4 export', () => {
  let ctx: TestContext;
  let housing: TestPartner;
  let outreach: TestPartner;
  let caw: TestPartner;
  let officer: string;
  let team: string;
  let clientId: string;
  let caseId: string;
  const consentIds: Record<'permit' | 'objection' | 'withdrawn', string> = { permit: '', objection: '', withdrawn: '' };
  let windowFrom: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    windowFrom = new Date().toISOString();
    housing = await ctx.newPartner({ type: 'social-housing-company' });
    outreach = await ctx.newPartner({ type: 'outreach-team' });
    caw = await ctx.newPartner({ type: 'caw' });
    const operator = await ctx.operator({ id: 'gateway-operator' });
    const admin = await operator.token({ roles: ['gateway-admin'] });
    officer = await operator.token({ roles: ['privacy-officer'], sub: 'dpo' });
    await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: admin,
      purpose: 'administration',
      body: { title: 'A', partnerIds: [housing.id, outreach.id], purposes: ['referral'], validFrom: '2026-01-01' },
    });
    await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: admin,
      purpose: 'administration',
      body: { title: 'B', partnerIds: [caw.id, outreach.id], purposes: ['duo-follow-up'], validFrom: '2026-01-01' },
    });
    team = await outreach.token({ roles: ['coordinator', 'caseworker'], sub: 'coord' });
    const cawWorker = await caw.token({ roles: ['caseworker'], sub: 'pwb-night' });

    const referral = await ctx.request({
      method: 'POST',
      url: '/v1/referrals',
      token: await housing.token({ roles: ['referrer'] }),
      purpose: 'referral',
      body: {
        targetPartnerId: outreach.id,
        tenant: TENANT,
        signals: ['debts'],
        evictionStage: 'none',
        tenantInformed: 'yes',
        contact: { name: 'E' },
      },
    });
    expect(referral.status).toBe(201);
    caseId = (
      await ctx.request({
        method: 'POST',
        url: `/v1/referrals/${referral.body.id}/decision`,
        token: team,
        purpose: 'referral',
        body: { decision: 'accept' },
      })
    ).body.caseId;
    clientId = (await ctx.request({ url: `/v1/referrals/${referral.body.id}`, token: team, purpose: 'referral' })).body
      .clientId;
    await ctx.request({
      method: 'PUT',
      url: `/v1/cases/${caseId}/care-plan`,
      token: team,
      purpose: 'care-coordination',
      body: { domains: [], crisisPlan: 'Bel de mobiele crisisdienst.', safetyFlags: [] },
    });
    await ctx.request({
      method: 'POST',
      url: `/v1/cases/${caseId}/circle`,
      token: team,
      purpose: 'care-coordination',
      body: { partnerId: caw.id, purposes: ['duo-follow-up'] },
    });

    const consent = (body: Record<string, unknown>) =>
      ctx.request({
        method: 'POST',
        url: `/v1/clients/${clientId}/consents`,
        token: team,
        purpose: 'care-coordination',
        body: { purposes: ['duo-follow-up'], method: 'written', validFrom: '2026-01-01', ...body },
      });
    const permit = await consent({
      recipients: [{ partnerId: caw.id }, { partnerType: 'ocmw' }],
      categories: ['identity', 'contact'],
      effect: 'permit',
      givenBy: { kind: 'client' },
      evidence: { sha256: EVIDENCE_SHA256 },
    });
    const objection = await consent({
      recipients: [{ partnerType: 'mental-health-service' }],
      categories: ['health'],
      effect: 'deny',
      givenBy: { kind: 'legal-representative', name: REPRESENTATIVE, capacity: 'court-appointed-administrator' },
      validUntil: '2030-12-31',
    });
    const withdrawn = await consent({
      recipients: [{ partnerId: caw.id }],
      categories: ['housing'],
      effect: 'permit',
      givenBy: { kind: 'client' },
      method: 'verbal',
    });
    expect([permit.status, objection.status, withdrawn.status]).toEqual([201, 201, 201]);
    consentIds.permit = permit.body.id;
    consentIds.objection = objection.body.id;
    consentIds.withdrawn = withdrawn.body.id;
    expect(
      (
        await ctx.request({
          method: 'POST',
          url: `/v1/consents/${consentIds.withdrawn}/withdraw`,
          token: team,
          purpose: 'care-coordination',
        })
      ).status,
    ).toBe(200);

    // A consented read, a refusal (crisis purpose without a grant), then break-the-glass.
    expect((await ctx.request({ url: `/v1/cases/${caseId}`, token: cawWorker, purpose: 'duo-follow-up' })).status).toBe(
      200,
    );
    expect((await ctx.request({ url: `/v1/cases/${caseId}`, token: cawWorker, purpose: 'crisis' })).status).toBe(404);
    expect(
      (
        await ctx.request({
          method: 'POST',
          url: `/v1/cases/${caseId}/emergency-access`,
          token: cawWorker,
          purpose: 'crisis',
          body: { justification: 'Cliënte dreigt zichzelf iets aan te doen, crisisplan nodig.' },
        })
      ).status,
    ).toBe(201);
    expect((await ctx.request({ url: `/v1/cases/${caseId}`, token: cawWorker, purpose: 'crisis' })).status).toBe(200);
    await ctx.app.get(ChainService).chainAll();
  });
  afterAll(async () => ctx?.close());

  const exportFhir = (query = '', headers: Record<string, string> = {}) =>
    ctx.request({
      url: `/v1/access-log/export?format=fhir${query}`,
      token: officer,
      purpose: 'privacy-audit',
      headers,
    });
  const consentsFhir = (headers: Record<string, string> = {}) =>
    ctx.request({
      url: `/v1/clients/${clientId}/consents?format=fhir`,
      token: team,
      purpose: 'care-coordination',
      headers,
    });

  it('the validator is not vacuous: a malformed AuditEvent and Consent fail the official schema', () => {
    const valid = {
      resourceType: 'AuditEvent',
      type: { code: 'rest' },
      recorded: '2026-03-01T10:00:00Z',
      agent: [{ requestor: true }],
      source: { observer: { display: 'schakel gateway' } },
    };
    expect(fhirErrors('AuditEvent', valid)).toEqual([]);
    expect(fhirErrors('AuditEvent', { ...valid, recorded: 'yesterday' }).map((e) => e.instancePath)).toContain(
      '/recorded',
    );
    const { source: _source, ...withoutSource } = valid;
    expect(fhirErrors('AuditEvent', withoutSource)).toEqual(
      expect.arrayContaining([expect.objectContaining({ keyword: 'required', params: { missingProperty: 'source' } })]),
    );
    expect(fhirErrors('AuditEvent', { ...valid, action: 'X' }).map((e) => e.instancePath)).toContain('/action');
    expect(
      fhirErrors('Consent', {
        resourceType: 'Consent',
        status: 'withdrawn',
        scope: { text: 'x' },
        category: [{ text: 'x' }],
      }).map((e) => e.instancePath),
    ).toContain('/status');
    expect(
      fhirErrors('Bundle', {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [{ resource: { ...valid, recorded: 'yesterday' } }],
      }),
    ).not.toEqual([]);
  });

  it('streams the access log as FHIR NDJSON: one valid AuditEvent per log entry in the window, oldest first', async () => {
    const windowTo = new Date(Date.now() + 1000).toISOString();
    const response = await exportFhir(`&from=${encodeURIComponent(windowFrom)}&to=${encodeURIComponent(windowTo)}`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/fhir+ndjson');
    expect(response.headers['content-disposition']).toContain('access-log.fhir.ndjson');
    const events = ndjsonOf(response.text);
    for (const event of events) expectValid('AuditEvent', event);

    const rows: { id: string }[] = await ctx.dataSource.query(
      'SELECT id FROM access_log WHERE occurred_at >= $1 AND occurred_at < $2 ORDER BY seq',
      [windowFrom, windowTo],
    );
    expect(events.map((e) => e.id)).toEqual(rows.map((r) => r.id));
    expect(events.length).toBeGreaterThan(15);
    const recorded = events.map((e) => Date.parse(e.recorded));
    expect(recorded).toEqual([...recorded].sort((a, b) => a - b));
    // The export itself is in the log, saying it was a FHIR export.
    expect(events.at(-1)).toMatchObject({
      action: 'E',
      subtype: [{ code: 'export' }],
      outcomeDesc: expect.stringContaining('FHIR'),
    });
  });

  it('maps the break-the-glass access, the refusal and the consent relied on', async () => {
    const events = ndjsonOf((await exportFhir()).text);
    const caseReads = events.filter(
      (e) =>
        e.entity?.[0]?.what?.identifier?.type?.text === 'Case' &&
        e.action === 'R' &&
        e.agent[0].who.identifier.value === 'pwb-night',
    );

    const glass = caseReads.find((e) => e.agent[0].purposeOfUse);
    expect(glass).toMatchObject({
      type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110110' },
      outcome: '0',
      purposeOfEvent: [{ coding: [{ code: 'crisis' }] }],
      agent: [
        expect.objectContaining({
          requestor: true,
          purposeOfUse: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
                  code: 'BTG',
                  display: 'break the glass',
                },
              ],
              text: expect.any(String),
            },
          ],
        }),
        expect.anything(),
        expect.anything(),
      ],
    });
    expect(glass!.agent[0].who.identifier.system).toBe(`urn:schakel:partner:${caw.id}:user`);
    expect(
      glass!.agent.slice(1).map((a: { who: { identifier: { value: string } } }) => a.who.identifier.value),
    ).toEqual([caw.id, outreach.id]);
    expect(glass!.entity).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          what: {
            identifier: { system: 'urn:schakel:client-pseudonym', value: expect.stringMatching(/^[0-9a-f]{64}$/) },
          },
        }),
      ]),
    );
    expect(glass!.entity[0].detail).toEqual(
      expect.arrayContaining([
        { type: 'fields', valueString: expect.stringContaining('crisisPlan') },
        { type: 'disclosure-sha256', valueString: expect.stringMatching(/^[0-9a-f]{64}$/) },
      ]),
    );

    const refusal = caseReads.find((e) => e.outcome === '4');
    expect(refusal).toMatchObject({
      purposeOfEvent: [{ coding: [{ code: 'crisis' }] }],
      outcomeDesc: expect.any(String),
    });
    expect(refusal!.agent[0].purposeOfUse).toBeUndefined();

    const consented = caseReads.find((e) => e.purposeOfEvent[0].coding[0].code === 'duo-follow-up');
    expect(consented!.entity).toEqual(
      expect.arrayContaining([expect.objectContaining({ what: { reference: `Consent/${consentIds.permit}` } })]),
    );
    // The chain position and hashes let an AuditEvent be matched to the verifiable export.
    const ext = consented!.extension[0];
    expect(ext.url).toBe('https://schakel.example/fhir/StructureDefinition/access-log-entry');
    expect(ext.extension.map((e: { url: string }) => e.url)).toEqual(
      expect.arrayContaining(['policyVersion', 'entryHash', 'chainPosition', 'chainHash']),
    );
    expect(events.filter((e) => e.outcome === '4').every((e) => e.agent[0].purposeOfUse === undefined)).toBe(true);
  });

  it('returns one valid collection Bundle when Accept prefers application/fhir+json', async () => {
    const response = await exportFhir('', { accept: 'application/fhir+ndjson;q=0.5, application/fhir+json' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('application/fhir+json');
    const bundle = response.body;
    expectValid('Bundle', bundle);
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(bundle.entry.length).toBeGreaterThan(15);
    for (const entry of bundle.entry) {
      expect(entry.fullUrl).toBe(`urn:uuid:${entry.resource.id}`);
      expectValid('AuditEvent', entry.resource);
    }
    const [{ count }] = await ctx.dataSource.query('SELECT count(*)::int AS count FROM access_log');
    // Everything up to and including this export's own entry.
    expect(bundle.entry).toHaveLength(count);

    // An empty window is still a valid Bundle (FHIR forbids an empty entry array).
    const empty = await exportFhir('&from=2100-01-01T00:00:00Z', { accept: 'application/fhir+json' });
    expectValid('Bundle', empty.body);
    expect(empty.body).not.toHaveProperty('entry');
  });

  it('lists consents as a valid FHIR Bundle: permit, objection by a representative (by capacity only), withdrawn', async () => {
    const response = await consentsFhir();
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('application/fhir+json');
    expectValid('Bundle', response.body);
    const consents = Object.fromEntries(
      response.body.entry.map((e: { resource: { id: string } }) => [e.resource.id, e.resource]),
    );
    for (const resource of Object.values(consents)) expectValid('Consent', resource);
    expect(Object.keys(consents).sort()).toEqual(Object.values(consentIds).sort());

    const patient = { type: 'Patient', identifier: { system: 'urn:schakel:client', value: clientId } };
    expect(consents[consentIds.permit]).toMatchObject({
      status: 'active',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
      patient,
      performer: [patient],
      organization: [{ type: 'Organization', identifier: { system: 'urn:schakel:partner', value: outreach.id } }],
      sourceAttachment: { hash: Buffer.from(EVIDENCE_SHA256, 'hex').toString('base64') },
      policyRule: { coding: [{ code: 'OPTIN' }] },
      provision: {
        type: 'permit',
        period: { start: '2026-01-01' },
        purpose: [{ system: 'https://schakel.example/fhir/CodeSystem/purpose', code: 'duo-follow-up' }],
        code: [
          { coding: [{ system: 'https://schakel.example/fhir/CodeSystem/data-category', code: 'identity' }] },
          { coding: [{ code: 'contact' }] },
        ],
        actor: [
          {
            role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] },
            reference: { identifier: { system: 'urn:schakel:partner', value: caw.id } },
          },
          { reference: { identifier: { system: 'urn:schakel:partner-type', value: 'ocmw' } } },
        ],
      },
    });
    expect(consents[consentIds.objection]).toMatchObject({
      status: 'active',
      performer: [{ type: 'RelatedPerson', display: 'legal representative (court-appointed administrator)' }],
      policyRule: { coding: [{ code: 'OPTOUT' }] },
      provision: { type: 'deny', period: { start: '2026-01-01', end: '2030-12-31' } },
    });
    expect(consents[consentIds.withdrawn]).toMatchObject({
      status: 'inactive',
      extension: expect.arrayContaining([
        {
          url: 'https://schakel.example/fhir/StructureDefinition/consent-withdrawn',
          valueDateTime: expect.any(String),
        },
      ]),
    });
    // The plain JSON shows the holding team the representative's name; FHIR carries the capacity only.
    expect(response.text).not.toContain(REPRESENTATIVE);
  });

  it('lists consents as FHIR NDJSON with Accept: application/fhir+ndjson, each line a valid Consent, and logs it', async () => {
    const response = await consentsFhir({ accept: 'application/fhir+ndjson' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('application/fhir+ndjson');
    const consents = ndjsonOf(response.text);
    expect(consents).toHaveLength(3);
    for (const consent of consents) expectValid('Consent', consent);
    const [entry] = await ctx.dataSource.query(
      `SELECT reason, user_sub FROM access_log WHERE resource_type = 'Consent' AND action = 'read' ORDER BY seq DESC LIMIT 1`,
    );
    expect(entry).toEqual({ reason: 'consents listed as FHIR Consent resources', user_sub: 'coord' });
  });

  it('keeps the plain JSON consent list unchanged without format, and goes through the same authorization', async () => {
    const plain = await ctx.request({
      url: `/v1/clients/${clientId}/consents`,
      token: team,
      purpose: 'care-coordination',
    });
    expect(plain.headers['content-type']).toContain('application/json');
    expect(plain.body.items).toHaveLength(3);
    expect(plain.body.items[0]).toHaveProperty('givenBy');
    // Another outreach team may read consents in general, but not this client's: refused and logged, as without format.
    const otherTeam = await ctx.newPartner({ type: 'outreach-team' });
    const stranger = await otherTeam.token({ roles: ['coordinator'] });
    for (const query of ['', '?format=fhir']) {
      const refused = await ctx.request({
        url: `/v1/clients/${clientId}/consents${query}`,
        token: stranger,
        purpose: 'care-coordination',
        headers: { accept: 'application/fhir+json' },
      });
      expect({ query, status: refused.status }).toEqual({ query, status: 404 });
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.text).not.toContain('Consent/');
    }
    const entries = await ctx.dataSource.query(
      `SELECT decision FROM access_log WHERE resource_type = 'Consent' AND partner_id = $1`,
      [otherTeam.id],
    );
    expect(entries).toEqual([{ decision: 'deny' }, { decision: 'deny' }]);
    const cawWorker = await caw.token({ roles: ['caseworker'] });
    expect(
      (
        await ctx.request({
          url: `/v1/clients/${clientId}/consents?format=fhir`,
          token: cawWorker,
          purpose: 'duo-follow-up',
        })
      ).status,
    ).toBe(403);
  });

  it('puts no tenant name, phone or representative name in any FHIR export', async () => {
    const texts = [
      (await exportFhir()).text,
      (await exportFhir('', { accept: 'application/fhir+json' })).text,
      (await consentsFhir()).text,
      (await consentsFhir({ accept: 'application/fhir+ndjson' })).text,
    ];
    for (const text of texts) {
      expect(text.length).toBeGreaterThan(100);
      for (const personal of [TENANT.givenName, TENANT.familyName, TENANT.phone, REPRESENTATIVE])
        expect(text).not.toContain(personal);
    }
  });

  it('refuses an unknown format with 400 problem+json, exporting nothing and logging no export', async () => {
    const countExports = async () =>
      (await ctx.dataSource.query(`SELECT count(*)::int AS n FROM access_log WHERE action = 'export'`))[0].n;
    const before = await countExports();
    const response = await ctx.request({
      url: '/v1/access-log/export?format=xml',
      token: officer,
      purpose: 'privacy-audit',
    });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.body).toMatchObject({
      type: 'https://schakel.example/problems/validation-failed',
      status: 400,
      errors: [expect.objectContaining({ pointer: '/format' })],
    });
    expect(response.text).not.toContain('AuditEvent');
    expect(await countExports()).toBe(before);
    const consents = await ctx.request({
      url: `/v1/clients/${clientId}/consents?format=xml`,
      token: team,
      purpose: 'care-coordination',
    });
    expect(consents.status).toBe(400);
    expect(consents.body).toMatchObject({
      type: 'https://schakel.example/problems/validation-failed',
      errors: [expect.objectContaining({ pointer: '/format' })],
    });
  });

  it('refuses the FHIR access-log export to a housing referrer with 403 problem+json', async () => {
    const referrer = await housing.token({ roles: ['referrer'] });
    for (const purpose of ['privacy-audit', 'referral']) {
      const response = await ctx.request({ url: '/v1/access-log/export?format=fhir', token: referrer, purpose });
      expect({ purpose, status: response.status }).toEqual({ purpose, status: 403 });
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body).toMatchObject({
        status: 403,
        type: expect.stringMatching(/^https:\/\/schakel\.example\/problems\//),
      });
    }
  });

  it('documents the FHIR media types in the OpenAPI document', async () => {
    const doc = (await ctx.request({ url: '/openapi.json' })).body;
    const produced = (path: string) => Object.keys(doc.paths[path].get.responses['200']?.content ?? {});
    expect(produced('/v1/access-log/export')).toEqual(
      expect.arrayContaining(['application/fhir+ndjson', 'application/fhir+json']),
    );
    expect(produced('/v1/clients/{clientId}/consents')).toEqual(
      expect.arrayContaining(['application/json', 'application/fhir+json', 'application/fhir+ndjson']),
    );
    expect(
      doc.paths['/v1/access-log/export'].get.parameters.find((p: { name: string }) => p.name === 'format').schema.enum,
    ).toContain('fhir');
  });
});
