import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Where a partner's identity provider puts roles and profession, and how its names map to the
 * gateway's (issue: trust boundaries, item 3). NULL keeps the contract's own claims, `roles` and
 * `profession`, so existing partners are unaffected.
 */
export class PartnerClaimMapping1796100100000 implements MigrationInterface {
  name = 'PartnerClaimMapping1796100100000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "partner" ADD "claim_mapping" jsonb');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "partner" DROP COLUMN "claim_mapping"');
  }
}
