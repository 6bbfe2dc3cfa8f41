import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What each partner's identity provider may assert (issue: trust boundaries, item 2). NULL means
 * "the type's row in policies/partner-trust.yaml", so existing partners need no backfill and
 * follow the policy file as it is reviewed; a list narrows that row.
 */
export class PartnerAssertions1796100000000 implements MigrationInterface {
  name = 'PartnerAssertions1796100000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "partner" ADD "allowed_roles" text array');
    await queryRunner.query('ALTER TABLE "partner" ADD "allowed_professions" text array');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "partner" DROP COLUMN "allowed_professions"');
    await queryRunner.query('ALTER TABLE "partner" DROP COLUMN "allowed_roles"');
  }
}
