import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { FieldCipher } from '../src/common/crypto/field-cipher.js';
import { rotateSealedValues } from '../src/common/crypto/key-rotation.repository.js';
import { createTestContext, type TestContext } from './support/test-context.js';

const k1 = `k1:${randomBytes(32).toString('base64')}`;
const k2 = `k2:${randomBytes(32).toString('base64')}`;

/** Rotating the encryption key re-seals every personal field so the old key can be retired. */
describe('encryption key rotation', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ ENCRYPTION_KEYS: k1 });
    const housing = await ctx.newPartner({ type: 'social-housing-company' });
    const outreach = await ctx.newPartner({ type: 'outreach-team' });
    const admin = await (await ctx.operator()).token();
    await ctx.request({
      method: 'POST',
      url: '/v1/agreements',
      token: admin,
      purpose: 'administration',
      body: { title: 'A', partnerIds: [housing.id, outreach.id], purposes: ['referral'], validFrom: '2026-01-01' },
    });
    const token = await housing.token({ roles: ['referrer'] });
    for (let i = 0; i < 3; i++) {
      const response = await ctx.request({
        method: 'POST',
        url: '/v1/referrals',
        token,
        purpose: 'referral',
        headers: { 'idempotency-key': `referral-${i}` },
        body: {
          targetPartnerId: outreach.id,
          tenant: { familyName: `Tenant${i}`, nationalNumber: '85073003328' },
          signals: ['hoarding'],
          description: 'x',
          evictionStage: 'none',
          tenantInformed: 'yes',
          contact: { name: 'E' },
        },
      });
      expect(response.status).toBe(201);
    }
  });
  afterAll(async () => ctx?.close());

  const kids = async () =>
    new Set(
      (
        (await ctx.dataSource.query('SELECT identity_sealed, national_number_sealed FROM client')) as Record<
          string,
          string
        >[]
      ).flatMap((r) => Object.values(r).map((v) => v.split('.')[1])),
    );

  it('re-seals everything under the new key, readable with the new key alone, and is idempotent', async () => {
    expect(await kids()).toEqual(new Set(['k1']));
    const rotated = FieldCipher.fromConfig(`${k2},${k1}`);
    const counts = await rotateSealedValues(ctx.dataSource, rotated, 2);
    expect(counts).toMatchObject({ client: 3, referral: 3, idempotency_record: 3 });
    expect(await kids()).toEqual(new Set(['k2']));
    const onlyNew = FieldCipher.fromConfig(k2);
    const [row] = await ctx.dataSource.query('SELECT identity_sealed FROM client ORDER BY created_at LIMIT 1');
    expect(onlyNew.open<{ familyName: string }>(row.identity_sealed).familyName).toMatch(/^Tenant/);
    // The answers kept for retries follow the key too, so retiring the old key never strands them.
    const [answer] = await ctx.dataSource.query('SELECT response_sealed FROM idempotency_record LIMIT 1');
    expect(onlyNew.open<{ id: string }>(answer.response_sealed).id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await rotateSealedValues(ctx.dataSource, rotated)).toMatchObject({
      client: 0,
      referral: 0,
      idempotency_record: 0,
    });
  });
});
