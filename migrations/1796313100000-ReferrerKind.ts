import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 13, item 1: anyone may refer. A person without an organisation (the tenant, family, a
 * neighbour) does not sign in; the receiving team registers their referral on their behalf, and
 * the referral says who referred (`organisation` for every signed-in partner).
 */
export class ReferrerKind1796313100000 implements MigrationInterface {
  name = 'ReferrerKind1796313100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE "referral" ADD "referrer_kind" character varying(20) NOT NULL DEFAULT 'organisation'`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "referral" DROP COLUMN "referrer_kind"');
  }
}
