import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 13, items 2 and 6. A redirected or declined referral keeps a reason code from
 * policies/referral-reasons.yaml (never free text towards the referrer) and the registered partner
 * it was redirected to. Notifications are no longer only about withdrawn consents: a pending
 * information request notifies the holding team, so a notification may name a resource instead of
 * a consent, and carries no client pseudonym when it does not concern one directly.
 */
export class ReferralReasonsAndRequestQueue1796313000000 implements MigrationInterface {
  name = 'ReferralReasonsAndRequestQueue1796313000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "referral" ADD "reason_code" character varying(64)');
    await queryRunner.query('ALTER TABLE "referral" ADD "redirected_to_partner_id" character varying(64)');
    await queryRunner.query('ALTER TABLE "partner_notification" ALTER COLUMN "consent_id" DROP NOT NULL');
    await queryRunner.query('ALTER TABLE "partner_notification" ALTER COLUMN "client_ref" DROP NOT NULL');
    await queryRunner.query('ALTER TABLE "partner_notification" ADD "resource_type" character varying(40)');
    await queryRunner.query('ALTER TABLE "partner_notification" ADD "resource_id" uuid');
    await queryRunner.query(`ALTER TABLE "partner_notification" ADD "detail" jsonb NOT NULL DEFAULT '{}'`);
    await queryRunner.query(
      'CREATE INDEX "information_request_pending_idx" ON "information_request" ("decision", "created_at")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "information_request_pending_idx"');
    await queryRunner.query('DELETE FROM "partner_notification" WHERE "consent_id" IS NULL OR "client_ref" IS NULL');
    await queryRunner.query('ALTER TABLE "partner_notification" DROP COLUMN "detail"');
    await queryRunner.query('ALTER TABLE "partner_notification" DROP COLUMN "resource_id"');
    await queryRunner.query('ALTER TABLE "partner_notification" DROP COLUMN "resource_type"');
    await queryRunner.query('ALTER TABLE "partner_notification" ALTER COLUMN "client_ref" SET NOT NULL');
    await queryRunner.query('ALTER TABLE "partner_notification" ALTER COLUMN "consent_id" SET NOT NULL');
    await queryRunner.query('ALTER TABLE "referral" DROP COLUMN "redirected_to_partner_id"');
    await queryRunner.query('ALTER TABLE "referral" DROP COLUMN "reason_code"');
  }
}
