import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 13, items 3 and 4. A referrer tells its referrals apart by a reference of its own choosing
 * (its file number), and is told when the case its referral opened is closed (the date only, never
 * the end reason).
 */
export class ReferralReferenceAndClosing1796313200000 implements MigrationInterface {
  name = 'ReferralReferenceAndClosing1796313200000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "referral" ADD "external_reference" character varying(100)');
    await queryRunner.query('ALTER TABLE "referral" ADD "case_closed_at" TIMESTAMP WITH TIME ZONE');
    await queryRunner.query(
      'CREATE INDEX "referral_reference_idx" ON "referral" ("referrer_partner_id", "external_reference")',
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX "referral_reference_idx"');
    await queryRunner.query('ALTER TABLE "referral" DROP COLUMN "case_closed_at"');
    await queryRunner.query('ALTER TABLE "referral" DROP COLUMN "external_reference"');
  }
}
