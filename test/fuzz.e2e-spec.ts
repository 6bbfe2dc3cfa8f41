import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { PolicyEngineService } from '../src/policies/policy-engine.js';
import { declaredRoutes, type RouteDeclaration } from './support/routes.js';
import { createTestContext, type TestContext, type TestPartner } from './support/test-context.js';

/**
 * Property-based fuzzing of every operation in the OpenAPI document: bodies and query strings
 * drawn from each operation's own schema, then broken in the ways clients break them (wrong
 * types, missing and unknown fields, NUL characters, lone surrogates, absurd nesting, extreme
 * dates, raw non-JSON). Each call carries a valid token and purpose of a principal the policy
 * entitles to the route, so most calls get past authentication and the policy into validation
 * and the services. Whatever is sent: never a 5xx, and a 4xx changes no client, case, consent,
 * referral, partner or agreement data.
 *
 * Bounded: a fixed seed (FUZZ_SEED overrides it) and a fixed number of calls (FUZZ_RUNS).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
const RUNS = Number(process.env.FUZZ_RUNS ?? 250);

/** The data a refused request must leave alone (the access log, idempotency and review queue may change). */
const GUARDED_TABLES = [
  'client',
  'client_merge',
  'referral',
  'care_case',
  'case_transition',
  'contact_attempt',
  'circle_member',
  'case_note',
  'consent',
  'information_request',
  'emergency_grant',
  'partner',
  'agreement',
  'agreement_party',
];

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface Schema {
  type?: string;
  enum?: unknown[];
  format?: string;
  example?: unknown;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  $ref?: string;
  allOf?: Schema[];
}

interface Operation {
  method: Method;
  /** OpenAPI form, e.g. /v1/cases/{id}. */
  path: string;
  pathParams: string[];
  query: { name: string; required: boolean; schema: Schema }[];
  body?: Schema;
  route?: RouteDeclaration;
}

interface Caller {
  token?: string;
  purpose?: string;
  /** The rule that entitles this caller, for the report. */
  why: string;
}

interface Call {
  method: Method;
  url: string;
  body?: string;
  contentType?: string;
  idempotencyKey?: string;
}

/** Values that break validators, parsers, serialisers and databases. */
const NASTY_STRINGS = [
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  'x\uD800y',
  '\uDC00',
  '😀'.repeat(50),
  '\u202Eevil',
  'x'.repeat(5000),
  "' OR 1=1 --",
  '"; DROP TABLE partner; --',
  '../../etc/passwd',
  '%00',
  '%s%n%x',
  '{"nested":"json"}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'NaN',
  '-1',
  '1e309',
  '9'.repeat(30),
  '0000-00-00',
  '2026-02-30',
  '2026-13-01',
  '9999-12-31',
  '0001-01-01',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00.000Z',
  '2026-01-01T25:61:61Z',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  'http://127.0.0.1:1/x',
  'https://[::1]/',
  'javascript:alert(1)',
];

const nastyString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308) },
  { weight: 1, arbitrary: fc.constantFrom([], {}, [null], [[]], { __proto__: { polluted: true } }, { '': '' }) },
  { weight: 1, arbitrary: fc.integer({ min: 20, max: 60 }).map((depth) => nest(depth)) },
  { weight: 1, arbitrary: fc.array(nastyString, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.anything({ maxDepth: 3 }) },
);

function nest(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { n: value };
  return value;
}

/** Whole bodies that are not the JSON object an operation expects. */
const RAW_BODIES = fc.constantFrom(
  'not json',
  '{"a":',
  '',
  '[]',
  '"text"',
  '42',
  'null',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '\uFEFF{}',
  '{"a":1,"a":2}',
  '['.repeat(10_000) + ']'.repeat(10_000),
  '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000),
  '{"x":"\\u0000"}',
  '{"x":"\\ud800"}',
);

/** encodeURIComponent, except that a lone surrogate becomes the (invalid) UTF-8 bytes of its code unit. */
function encodeComponent(text: string): string {
  let out = '';
  for (const char of text) {
    const unit = char.charCodeAt(0);
    if (char.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
}

/** Replaces, removes or adds one value somewhere inside a JSON value, following `path` (indices into keys). */
function mutate(value: unknown, path: number[], replacement: unknown, mode: 'replace' | 'remove' | 'add'): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') {
    if (mode === 'add' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
      return { ...value, unexpectedField: replacement };
    }
    return mode === 'remove' ? undefined : replacement;
  }
  const [step, ...rest] = path;
  if (Array.isArray(value)) {
    if (value.length === 0) return mode === 'add' ? [replacement] : replacement;
    const index = step % value.length;
    const copy = [...value];
    const inner = mutate(copy[index], rest, replacement, mode);
    if (inner === undefined) copy.splice(index, 1);
    else copy[index] = inner;
    return copy;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return mode === 'remove' ? undefined : { unexpectedField: replacement };
  const key = keys[step % keys.length];
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const inner = rest.length === 0 && mode === 'add' ? undefined : mutate(copy[key], rest, replacement, mode);
  if (rest.length === 0 && mode === 'add') copy[`${key}Extra`] = replacement;
  else if (inner === undefined) delete copy[key];
  else copy[key] = inner;
  return copy;
}

describe('fuzzing every operation of the OpenAPI document', () => {
  let ctx: TestContext;
  const ids: Record<string, string> = {};
  let operations: Operation[] = [];
  const callers = new Map<Operation, Caller>();
  let components: Record<string, Schema> = {};
  /** Real values for fields by name, so that valid-looking requests reach the services. */
  let known: Record<string, unknown[]> = {};
  let pathValue: (operation: Operation, name: string) => string = () => '';

  beforeAll(async () => {
    ctx = await createTestContext({ RATE_LIMIT_PER_MINUTE: '1000000' });
    await buildFixtures();
    const doc = (await ctx.request({ url: '/openapi.json' })).body as {
      paths: Record<string, Record<string, { parameters?: Record<string, unknown>[]; requestBody?: unknown }>>;
      components: { schemas: Record<string, Schema> };
    };
    components = doc.components.schemas;
    const routes = new Map(declaredRoutes(ctx).map((route) => [route.route, route]));
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const parameters = (op.parameters ?? []) as { name: string; in: string; required?: boolean; schema: Schema }[];
        const body = (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)?.content?.[
          'application/json'
        ]?.schema;
        const operation: Operation = {
          method: method.toUpperCase() as Method,
          path,
          pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
          query: parameters
            .filter((p) => p.in === 'query')
            .map((p) => ({ name: p.name, required: Boolean(p.required), schema: p.schema })),
          body,
          route: routes.get(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
        };
        operations.push(operation);
      }
    }
    operations = operations.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
    for (const operation of operations) callers.set(operation, await entitledCaller(operation));
  });
  afterAll(async () => ctx?.close());

  const partners: Record<string, TestPartner> = {};

  /** A small real network: a referral accepted into a case, a client with a consent, a circle, a review item. */
  async function buildFixtures(): Promise<void> {
    const operator = await ctx.operator();
    partners.other = operator;
    for (const type of ['social-housing-company', 'outreach-team', 'caw', 'general-practitioner'] as const) {
      partners[type] = await ctx.newPartner({ type });
    }
    // PATCH /v1/partners/{id} may suspend or re-key its target: a partner no one else relies on.
    ids.patchablePartner = (await ctx.newPartner({ type: 'ocmw' })).id;
    const housing = partners['social-housing-company'];
    const outreach = partners['outreach-team'];
    const caw = partners.caw;
    const admin = await operator.token({ roles: ['gateway-admin'] });
    const ok = async (status: number, promise: ReturnType<TestContext['request']>) => {
      const response = await promise;
      expect({ status: response.status, body: response.body }).toMatchObject({ status });
      return response.body;
    };
    const agreement = (title: string, partnerIds: string[], purposes: string[]) =>
      ok(
        201,
        ctx.request({
          method: 'POST',
          url: '/v1/agreements',
          token: admin,
          purpose: 'administration',
          body: { title, partnerIds, purposes, validFrom: '2026-01-01' },
        }),
      );
    ids.agreement = (await agreement('Referral', [housing.id, outreach.id], ['referral'])).id;
    await agreement('Duo', [caw.id, outreach.id], ['duo-follow-up', 'eviction-prevention', 'case-consultation']);
    await agreement('GP', [partners['general-practitioner'].id, outreach.id], ['care-coordination', 'warm-handover']);

    const referrer = await housing.token({ roles: ['referrer'], profession: 'housing-officer' });
    const team = await outreach.token({ roles: ['coordinator', 'caseworker'], profession: 'social-worker' });
    const refer = (givenName: string) =>
      ok(
        201,
        ctx.request({
          method: 'POST',
          url: '/v1/referrals',
          token: referrer,
          purpose: 'referral',
          body: {
            targetPartnerId: outreach.id,
            tenant: { givenName, familyName: 'Fuzz', birthDate: '1980-01-01' },
            signals: ['debts'],
            evictionStage: 'considered',
            tenantInformed: 'yes',
            contact: { name: 'Els' },
          },
        }),
      );
    const accept = async (referralId: string) => {
      const decided = await ok(
        200,
        ctx.request({
          method: 'POST',
          url: `/v1/referrals/${referralId}/decision`,
          token: team,
          purpose: 'referral',
          body: { decision: 'accept' },
        }),
      );
      const read = await ok(200, ctx.request({ url: `/v1/referrals/${referralId}`, token: team, purpose: 'referral' }));
      return { caseId: decided.caseId as string, clientId: read.clientId as string };
    };
    ids.referral = (await refer('Anna')).id;
    ({ caseId: ids.case, clientId: ids.client } = await accept(ids.referral));
    ids.pendingReferral = (await refer('Bram')).id;
    const duplicate = await accept((await refer('Anna')).id);
    ids.duplicateClient = duplicate.clientId;
    ids.merge = (
      await ok(
        201,
        ctx.request({
          method: 'POST',
          url: `/v1/clients/${ids.client}/merges`,
          token: team,
          purpose: 'care-coordination',
          body: { duplicateId: duplicate.clientId },
        }),
      )
    ).id;
    await ok(
      201,
      ctx.request({
        method: 'POST',
        url: `/v1/cases/${ids.case}/circle`,
        token: team,
        purpose: 'care-coordination',
        body: { partnerId: caw.id, purposes: ['duo-follow-up'] },
      }),
    );
    [{ id: ids.circleMember }] = await ctx.dataSource.query('SELECT id FROM circle_member LIMIT 1');
    ids.consent = (
      await ok(
        201,
        ctx.request({
          method: 'POST',
          url: `/v1/clients/${ids.client}/consents`,
          token: team,
          purpose: 'care-coordination',
          body: {
            purposes: ['duo-follow-up'],
            recipients: [{ partnerId: caw.id }],
            categories: ['identity', 'housing', 'social'],
            effect: 'permit',
            givenBy: { kind: 'client' },
            method: 'verbal',
            validFrom: '2026-01-01',
          },
        }),
      )
    ).id;
    ids.informationRequest = (
      await ok(
        201,
        ctx.request({
          method: 'POST',
          url: '/v1/information-requests',
          token: await caw.token({ roles: ['caseworker'], profession: 'social-worker' }),
          purpose: 'duo-follow-up',
          body: {
            caseId: ids.case,
            purpose: 'duo-follow-up',
            categories: ['housing'],
            justification: 'Joint home visit on rent arrears',
          },
        }),
      )
    ).id;
    await ok(
      201,
      ctx.request({
        method: 'POST',
        url: `/v1/cases/${ids.case}/emergency-access`,
        token: team,
        purpose: 'crisis',
        body: { justification: 'Client in acute crisis at home, crisis plan needed now' },
      }),
    );
    [{ id: ids.review }] = await ctx.dataSource.query('SELECT id FROM review_item LIMIT 1');
    [{ id: ids.logEntry }] = await ctx.dataSource.query('SELECT id FROM access_log ORDER BY seq DESC LIMIT 1');

    const partnerIds = Object.values(partners).map((p) => p.id);
    known = {
      targetPartnerId: [outreach.id],
      partnerIds: [[housing.id, outreach.id], partnerIds],
      partnerId: [caw.id, ...partnerIds],
      toPartnerId: [partners['general-practitioner'].id, caw.id],
      partner: partnerIds,
      caseId: [ids.case],
      duplicateId: [ids.duplicateClient, ids.client],
      entryId: [ids.logEntry],
      client: [ids.client],
      purposes: [['duo-follow-up'], ['referral'], ['care-coordination', 'case-consultation']],
      purpose: ['duo-follow-up', 'care-coordination', 'referral', 'privacy-audit'],
      categories: [['housing'], ['identity', 'contact'], ['health', 'care-plan']],
      roles: [['caseworker'], ['coordinator'], ['referrer']],
      programme: ['housing-first'],
    };
    pathValue = (operation, name) => {
      const { path, method } = operation;
      if (path.startsWith('/v1/partners/')) return method === 'PATCH' ? ids.patchablePartner : housing.id;
      if (path.startsWith('/v1/agreements/')) return ids.agreement;
      if (path === '/v1/referrals/{id}/decision') return ids.pendingReferral;
      if (path.startsWith('/v1/referrals/')) return ids.referral;
      if (path.startsWith('/v1/cases/')) return name === 'memberId' ? ids.circleMember : ids.case;
      if (path.startsWith('/v1/clients/merges/')) return ids.merge;
      if (path.startsWith('/v1/clients/')) return ids.client;
      if (path.startsWith('/v1/consents/')) return ids.consent;
      if (path.startsWith('/v1/information-requests/')) return ids.informationRequest;
      if (path.startsWith('/v1/reviews/')) return ids.review;
      return ids.case;
    };
  }

  /**
   * A token and purpose the policy entitles to the route: from the first rule that permits its
   * declared action on its subject, a partner of a type that rule allows (preferring the fixture
   * partners that hold the data), its roles and its first purpose — checked with the policy's own
   * coarse decision, exactly as the guard asks it.
   */
  async function entitledCaller(operation: Operation): Promise<Caller> {
    const route = operation.route;
    if (!route || route.isPublic) return { why: 'public' };
    if (route.authenticatedOnly) {
      return { token: await partners['outreach-team'].token({ roles: ['caseworker'] }), why: 'authenticated only' };
    }
    const { action, subject } = route.permission!;
    const policy = ctx.app.get(PolicyEngineService);
    const preference = [
      'outreach-team',
      'social-housing-company',
      'caw',
      'general-practitioner',
      'ocmw',
      'mental-health-service',
    ];
    for (const rule of policy.activeRules()) {
      if (rule.effect === 'deny' || rule.subject !== subject || !rule.actions.includes(action)) continue;
      const operator = rule.when?.operator !== undefined;
      const types = operator ? ['other'] : (rule.partnerTypes ?? preference);
      const type = preference.find((t) => types.includes(t)) ?? types[0];
      const partner =
        partners[type] ?? (partners[type] = await ctx.newPartner({ type: type as 'caw', operator: false }));
      const roles = rule.roles.filter((role) => !policy.isNetworkWideRole(role) || operator);
      for (const purpose of rule.purposes) {
        if (!policy.decide(roles, purpose, action, subject, type, operator).permitted) continue;
        const profession = type === 'social-housing-company' ? 'housing-officer' : 'social-worker';
        return { token: await partner.token({ roles, profession }), purpose, why: `${rule.id} as ${type}` };
      }
    }
    throw new Error(`no rule in the policy entitles anyone to ${route.route}: the fuzz test cannot reach it`);
  }

  const resolve = (schema: Schema | undefined): Schema => {
    let current = schema ?? {};
    for (let i = 0; i < 10; i++) {
      if (current.$ref) current = components[current.$ref.split('/').pop()!] ?? {};
      else if (current.allOf?.length) current = current.allOf[0];
      else break;
    }
    return current;
  };

  /** A value the schema describes (what a careful client sends), with real ids where a field names one. */
  function valid(schema: Schema | undefined, name = '', depth = 0): fc.Arbitrary<unknown> {
    if (known[name]) return fc.constantFrom(...known[name]);
    const s = resolve(schema);
    if (s.enum?.length) return s.type === 'array' ? fc.subarray(s.enum, { minLength: 1 }) : fc.constantFrom(...s.enum);
    switch (s.type) {
      case 'object': {
        if (!s.properties || depth > 4) return fc.constant({});
        const model = Object.fromEntries(
          Object.entries(s.properties).map(([key, property]) => [key, valid(property, key, depth + 1)]),
        );
        return fc.record(model, { requiredKeys: (s.required ?? []).filter((key) => key in model) });
      }
      case 'array': {
        const items = resolve(s.items);
        if (items.enum?.length) return fc.subarray(items.enum, { minLength: Math.max(1, s.minItems ?? 0) });
        return fc.array(valid(items, name, depth + 1), { minLength: s.minItems ?? 0, maxLength: 3 });
      }
      case 'number':
      case 'integer':
        return fc.integer({ min: s.minimum ?? 0, max: s.maximum ?? 1000 });
      case 'boolean':
        return fc.boolean();
      default:
        if (s.format === 'date')
          return fc
            .date({ min: new Date('2020-01-01'), max: new Date('2030-12-31'), noInvalidDate: true })
            .map((d) => d.toISOString().slice(0, 10));
        if (s.format === 'date-time')
          return fc
            .date({ min: new Date('2020-01-01'), max: new Date('2030-12-31'), noInvalidDate: true })
            .map((d) => d.toISOString());
        if (s.format === 'uuid') return fc.oneof(fc.constantFrom(...Object.values(ids)), fc.uuid());
        // The documented example passes validation where a random string rarely does.
        return fc.oneof(...(typeof s.example === 'string' ? [{ weight: 3, arbitrary: fc.constant(s.example) }] : []), {
          weight: 1,
          arbitrary: fc.string({ minLength: s.minLength ?? 1, maxLength: Math.min(s.maxLength ?? 60, 60) }),
        });
    }
  }

  /** A body: a valid one, one with a single fault somewhere inside, or raw text that is not the expected JSON. */
  function bodyOf(schema: Schema): fc.Arbitrary<{ body?: string; contentType?: string }> {
    const json = (value: unknown) => ({ body: JSON.stringify(value ?? null), contentType: 'application/json' });
    return fc.oneof(
      { weight: 2, arbitrary: valid(schema).map(json) },
      {
        weight: 5,
        arbitrary: fc
          .tuple(
            valid(schema),
            fc.array(fc.nat(), { minLength: 0, maxLength: 4 }),
            nastyValue,
            fc.constantFrom('replace', 'remove', 'add'),
          )
          .map(([value, path, replacement, mode]) =>
            json(mutate(value, path, replacement, mode as 'replace' | 'remove' | 'add')),
          ),
      },
      { weight: 1, arbitrary: RAW_BODIES.map((body) => ({ body, contentType: 'application/json' })) },
      {
        weight: 1,
        arbitrary: fc
          .tuple(valid(schema), fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml'))
          .map(([value, contentType]) => ({ body: JSON.stringify(value), contentType })),
      },
    );
  }

  /** A query string: each declared parameter absent, valid or broken, sometimes an undeclared or repeated one. */
  function queryOf(operation: Operation): fc.Arbitrary<string> {
    const parameters = operation.query.map(({ name, required, schema }) => {
      const value = fc.oneof(
        { weight: 3, arbitrary: valid(schema, name).map((v) => [String(v)]) },
        { weight: 2, arbitrary: nastyString.map((v) => [v]) },
        { weight: 1, arbitrary: fc.array(valid(schema, name).map(String), { minLength: 2, maxLength: 3 }) },
      );
      return (required ? value : fc.option(value, { nil: undefined })).map((values) => ({ name, values }));
    });
    const extra = fc.option(
      fc.tuple(fc.constantFrom('unexpected', 'limit', '__proto__', 'a\u0000b', ''), nastyString),
      { nil: undefined, freq: 4 },
    );
    return fc.tuple(fc.tuple(...parameters), extra).map(([given, unexpected]) => {
      const pairs = given
        .filter((p): p is { name: string; values: string[] } => p.values !== undefined)
        .flatMap(({ name, values }) => values.map((v) => `${encodeComponent(name)}=${encodeComponent(v)}`));
      if (unexpected) pairs.push(`${encodeComponent(unexpected[0])}=${encodeComponent(unexpected[1])}`);
      return pairs.length ? `?${pairs.join('&')}` : '';
    });
  }

  function callOf(operation: Operation): fc.Arbitrary<Call> {
    const params = fc.tuple(
      ...operation.pathParams.map((name) =>
        fc.oneof(
          { weight: 8, arbitrary: fc.constant(pathValue(operation, name)) },
          { weight: 1, arbitrary: nastyString },
          { weight: 1, arbitrary: fc.uuid() },
        ),
      ),
    );
    const writes = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(operation.method);
    return fc
      .tuple(
        params,
        queryOf(operation),
        operation.body ? bodyOf(operation.body) : fc.constant({}),
        writes
          ? fc.option(fc.stringMatching(/^[\x21-\x7e]{0,210}$/), { nil: undefined, freq: 3 })
          : fc.constant(undefined),
      )
      .map(([values, query, body, idempotencyKey]) => {
        let i = 0;
        const path = operation.path.replace(/\{\w+\}/g, () => encodeComponent(String(values[i++])));
        return { method: operation.method, url: path + query, ...body, idempotencyKey };
      });
  }

  /** One digest per guarded table, in one round trip. */
  async function snapshot(): Promise<Record<string, string>> {
    const columns = GUARDED_TABLES.map(
      (table) => `(SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM ${table} t) AS ${table}`,
    );
    const [row] = await ctx.dataSource.query(`SELECT ${columns.join(', ')}`);
    return row as Record<string, string>;
  }

  async function send(call: Call, caller: Caller): Promise<{ status: number; text: string }> {
    const response = await fetch(ctx.baseUrl + call.url, {
      method: call.method,
      headers: {
        ...(caller.token ? { authorization: `Bearer ${caller.token}` } : {}),
        ...(caller.purpose ? { 'x-purpose': caller.purpose } : {}),
        ...(call.contentType ? { 'content-type': call.contentType } : {}),
        ...(call.idempotencyKey !== undefined ? { 'idempotency-key': call.idempotencyKey } : {}),
      },
      ...(call.body !== undefined ? { body: call.body } : {}),
    });
    return { status: response.status, text: await response.text() };
  }

  it('answers every call below 500, and a refused call changes no data', async () => {
    expect(operations.length).toBeGreaterThan(40);
    const statuses = new Map<number, number>();
    let calls = 0;
    let reachedValidation = 0;
    const perOperation = fc.constantFrom(...operations).chain((operation) =>
      callOf(operation).map((call) => ({
        operation,
        call,
        // A counterexample is reported as the request, shortened (a body may be 20,000 brackets).
        [fc.toStringMethod]: () =>
          `${call.method} ${call.url.slice(0, 300)} ${call.contentType ?? ''} ${(call.body ?? '').slice(0, 300)}`,
      })),
    );
    const started = Date.now();
    // Calls run one after another and nothing else writes these tables, so the snapshot after a
    // refused call is the one before the next; only a call that may have written needs a fresh one.
    let current: Record<string, string> | undefined;
    await fc.assert(
      fc.asyncProperty(perOperation, async ({ operation, call }) => {
        const caller = callers.get(operation)!;
        const before = current ?? (await snapshot());
        current = undefined;
        const { status, text } = await send(call, caller);
        calls += 1;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (![401, 403, 429].includes(status)) reachedValidation += 1;
        const what = `${call.method} ${call.url.slice(0, 200)} as ${caller.why}`;
        if (status >= 500) throw new Error(`${what} answered ${status}: ${text.slice(0, 300)}`);
        if (status >= 400) {
          const after = await snapshot();
          const changed = GUARDED_TABLES.filter((table) => before[table] !== after[table]);
          if (changed.length > 0) throw new Error(`${what} answered ${status} but changed ${changed.join(', ')}`);
          current = after;
        }
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    const share = reachedValidation / calls;
    const histogram = [...statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status}×${n}`)
      .join(' ');
    console.log(
      `fuzz: seed ${SEED}, ${calls} calls over ${operations.length} operations in ${Date.now() - started} ms; ` +
        `${reachedValidation} (${(share * 100).toFixed(1)}%) got past authentication, purpose and policy ` +
        `(not 401/403/429); statuses ${histogram}. Replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}`,
    );
    expect(share).toBeGreaterThanOrEqual(0.5);
  });
});
