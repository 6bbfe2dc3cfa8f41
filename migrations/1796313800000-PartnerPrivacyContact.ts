import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 13, item 16: the record of processing names, per partner, the controller and its data
 * protection officer (GDPR art. 30(1)(a)); registered with the partner.
 */
export class PartnerPrivacyContact1796313800000 implements MigrationInterface {
  name = 'PartnerPrivacyContact1796313800000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "partner" ADD "privacy_contact" jsonb');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('ALTER TABLE "partner" DROP COLUMN "privacy_contact"');
  }
}
